"""Alembic migrations of the event store tables, run against one service's engine."""
import pathlib

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = pathlib.Path(__file__).parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def upgrade(engine, revision: str = "head") -> None:
    from shared.db import ddl_lock
    config = _config()
    with engine.begin() as conn:
        ddl_lock(conn, "migrations:" + str(conn.exec_driver_sql(
            "SELECT current_schema()").scalar() if conn.dialect.name == "postgresql" else ""))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current(engine) -> str | None:
    """The revision the store is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()
