"""Opening a service's own store: engine, migrations, projection tables. No nameko here,
so the relay process and the command line use it as the services do.

With STATION_MIGRATE_AT_START false (production: `station db upgrade` runs first, as a
Job), a store that is not at the latest migration refuses to open, naming the command,
instead of several replicas racing to migrate it."""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from shared import db, migrations, signing
from shared.events import Registry
from shared.eventstore import EventStore
from shared.kit.projections import Projection


class StoreNotMigrated(RuntimeError):
    pass


def engine_for(service: str, config: Mapping) -> sa.Engine:
    url = db.store_url(service, config.get("DATABASE_URL"),
                       config.get("STATION_DATA_DIR") or "station-data")
    return db.make_engine(url, schema=service)


def migrate_at_start(config: Mapping) -> bool:
    value = config.get("STATION_MIGRATE_AT_START", True)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")


def open_store(service: str, config: Mapping, registry: Registry,
               projections: sa.MetaData | Projection | None = None) -> EventStore:
    """The store, migrated; its read models created, or (a shared.kit Projection)
    brought to their declared version, refolded from the events if it changed."""
    engine = engine_for(service, config)
    if migrate_at_start(config):
        migrations.upgrade(engine)
    elif (at := migrations.current(engine)) != (latest := migrations.head()):
        engine.dispose()
        raise StoreNotMigrated(
            f"the {service} store is at migration {at or 'none'}, not {latest}: run "
            f"`station db upgrade --service {service}` (STATION_MIGRATE_AT_START=false) / "
            f"数据库未迁移，请先运行 station db upgrade")
    store = EventStore(engine, registry)
    store.signer = signing.signer_for(service, config)  # keys outside the store
    if isinstance(projections, Projection):
        projections.ensure(store)  # versioned read models: locks and refolds by itself
    elif projections is not None:
        with engine.begin() as conn:
            db.ddl_lock(conn, f"projections:{service}")
            projections.create_all(conn)
    return store
