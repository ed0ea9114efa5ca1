"""store identity: a random id per store, and the source store each inbox follows

Revision ID: 0002
Revises: 0001
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "store_id", "value": str(uuid.uuid4())}])
    op.create_table(
        "inbox_sources",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("store_id", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("inbox_sources")
    op.drop_table("store_meta")
