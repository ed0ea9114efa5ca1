"""Opening a service's own store: engine, migrations, projection tables. No nameko here,
so the relay process and the command line use it as the services do."""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from shared import db, migrations, signing
from shared.events import Registry
from shared.eventstore import EventStore
from shared.kit.projections import Projection


def engine_for(service: str, config: Mapping) -> sa.Engine:
    url = db.store_url(service, config.get("DATABASE_URL"),
                       config.get("STATION_DATA_DIR") or "station-data")
    return db.make_engine(url, schema=service)


def open_store(service: str, config: Mapping, registry: Registry,
               projections: sa.MetaData | Projection | None = None) -> EventStore:
    """The store, migrated; its read models created, or (a shared.kit Projection)
    brought to their declared version, refolded from the events if it changed."""
    engine = engine_for(service, config)
    migrations.upgrade(engine)
    store = EventStore(engine, registry)
    store.signer = signing.signer_for(service, config)  # keys outside the store
    if isinstance(projections, Projection):
        projections.ensure(store)
    elif projections is not None:
        projections.create_all(engine)
    return store
