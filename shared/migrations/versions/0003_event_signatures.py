"""event signatures: each event's hash signed by its service (shared.signing)

Events stored before this migration keep a NULL signature: `station events verify`
reports them as unsigned until an operator adopts them (`station events sign-legacy`).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("events", sa.Column("signature", sa.String(200), nullable=True))


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("signature")
