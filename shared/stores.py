"""Opening a service's own store: engine, migrations, projection tables. No nameko here,
so the relay process and the command line use it as the services do."""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from shared import db, migrations, signing
from shared.events import Registry
from shared.eventstore import EventStore


def engine_for(service: str, config: Mapping) -> sa.Engine:
    url = db.store_url(service, config.get("DATABASE_URL"),
                       config.get("STATION_DATA_DIR") or "station-data")
    return db.make_engine(url, schema=service)


def open_store(service: str, config: Mapping, registry: Registry,
               projections: sa.MetaData | None = None) -> EventStore:
    engine = engine_for(service, config)
    migrations.upgrade(engine)
    if projections is not None:
        projections.create_all(engine)
    store = EventStore(engine, registry)
    store.signer = signing.signer_for(service, config)  # keys outside the store
    return store
