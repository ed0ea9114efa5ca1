"""Alembic migrations of the event store tables, run against one service's engine."""
import pathlib

from alembic import command
from alembic.config import Config

HERE = pathlib.Path(__file__).parent


def upgrade(engine, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
