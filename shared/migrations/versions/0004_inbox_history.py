"""inbox history: which event id each inbox applied at each source position, and whether
an inbox follows its source or is halted (its source store was replaced and could not be
resynchronised)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inbox_applied",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_inbox_applied_event", "inbox_applied", ["name", "event_id"])
    with op.batch_alter_table("inbox_sources") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="following"))
        batch.add_column(sa.Column("reason", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("inbox_sources") as batch:
        batch.drop_column("reason")
        batch.drop_column("status")
    op.drop_index("ix_inbox_applied_event", "inbox_applied")
    op.drop_table("inbox_applied")
