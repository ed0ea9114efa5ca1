"""Free text about a resident in casework: sealed with the resident's own key in
casework's store, opened for answers and read models, erased with the resident.

    vault = privacy.vault(store)                      # outside any transaction first
    events = SEALING.seal(vault, events, conn)        # before store.append
    events = SEALING.unseal(vault, recorded, conn)    # before read models and views
    recorded = forget(store, conn, key_destroyed)     # the residents' KeyDestroyed

Which fields are sealed is events.SEALED; the keys (table `resident_keys` in casework's
own store), the cipher and the disk scrub are shared.security's. When residents erase a
resident, casework destroys its key of them and records its own KeyDestroyed, and the
read models overwrite what they kept (projections).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from shared.events import Recorded
from shared.eventstore import EventStore
from shared.security.erasure import KeyVault
from shared.security.sealing import Sealing, forget_resident

from services.casework.events import SEALED

SEALING = Sealing(SEALED)


def vault(store: EventStore) -> KeyVault:
    """The store's vault (its tables made on first use: call it outside a transaction)."""
    return KeyVault(store)


def unseal(store: EventStore, events: Iterable[Recorded],
           conn: sa.Connection | None = None) -> list[Recorded]:
    return SEALING.unseal(vault(store), events, conn)


def unseal_stream(store: EventStore, events: list[Recorded]) -> list[Recorded]:
    """One case's or referral's events opened; events written before sealing do not
    name the resident, so the stream's first event says whose they are."""
    first = events[0].payload.get("resident_id") if events else None
    return SEALING.unseal(vault(store), events, subject=first)


def opener(store: EventStore):
    """For the projection: stored events -> what the appliers read."""
    return SEALING.opener(store)


def forget(store: EventStore, conn: sa.Connection, erased: Recorded) -> list[Recorded]:
    """The residents erased a resident: casework's key of them destroyed (once)."""
    return forget_resident(store, conn, erased)
