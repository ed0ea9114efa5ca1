"""quarantine by stream: which stream each quarantined event belongs to, and the envelope
of an event held behind an earlier quarantined event of its stream (applied, in order,
once that one is; shared.inbox)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("stream_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("envelope", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("envelope")
        batch.drop_column("stream_id")
