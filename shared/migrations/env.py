"""Alembic environment: always handed a live connection by shared.migrations.upgrade."""
from alembic import context

from shared.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
