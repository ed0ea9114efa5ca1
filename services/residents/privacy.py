"""Residents' personal data: sealed inside events with the resident's own key, opened on
read, unreadable once the key is destroyed; and the masks a caller's view gets.

    events = seal(vault, events, conn)        # before store.append (same transaction)
    events = unseal(vault, recorded, conn)    # before fold, projections, history
    erase(vault, resident_id, actor, reason, conn, now)   # KeyDestroyed

Which fields are sealed is `events.SEALED`; the keys and the cipher are
shared.security.erasure's (the sealing, shared.security.sealing's). A field written
before it was sealed is in clear in its event: it reads as it is until the resident is
erased, then as "[erased]" like the sealed ones (its bytes stay: docs/security.md).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa

from shared.events import NewEvent, Recorded
from shared.security import masking
from shared.security.erasure import ERASED, KeyVault, resident_keys
from shared.security.sealing import Sealing, SubjectErased

from shared.kit.errors import Conflicting
from services.residents.events import PERSONAL_FIELDS, SEALED

MASKED_KEYS = tuple(masking.MASKS)  # id_number, phone
SEALING = Sealing(SEALED)


class Erased(Conflicting):
    """The resident's personal data was erased: the record takes no more changes."""
    code = "resident_erased"


# -- events --------------------------------------------------------------------------

def seal(vault: KeyVault, events: Sequence[NewEvent], conn: sa.Connection,
         keys: Mapping[str, bytes] | None = None) -> list[NewEvent]:
    """The events with their personal fields sealed (the key is made on first use, or
    taken from `keys`); Erased (409) for any new text about an erased resident."""
    try:
        return SEALING.seal(vault, events, conn, keys)
    except SubjectErased:
        raise _erased() from None


def unseal(vault: KeyVault, events: Iterable[Recorded],
           conn: sa.Connection | None = None) -> list[Recorded]:
    """The events with their personal fields opened, or "[erased]" where the key is gone
    (whether the field was stored sealed or, before sealing existed, in clear)."""
    return SEALING.unseal(vault, events, conn)


def is_erased(conn_or_engine, resident_id: str) -> bool:
    query = sa.select(resident_keys.c.destroyed_at).where(resident_keys.c.resident_id == resident_id)
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.connect() as conn:
            return conn.execute(query).scalar() is not None
    return conn_or_engine.execute(query).scalar() is not None


def check_not_erased(conn: sa.Connection, resident_id: str) -> None:
    if is_erased(conn, resident_id):
        raise _erased()


def erase(vault: KeyVault, resident_id: str, actor: str, reason: str, conn: sa.Connection,
          now: datetime) -> tuple[Recorded, ...]:
    """Destroy the resident's key (KeyDestroyed); nothing if it was destroyed before."""
    recorded = vault.destroy(resident_id, actor=actor, reason=reason, conn=conn, now=now)
    return (recorded,) if recorded is not None else ()


def _erased() -> Erased:
    return Erased("The resident's personal data was erased: the record takes no more changes",
                  "该居民的个人信息已删除，档案不再接受修改")


# -- views ---------------------------------------------------------------------------

def mask_deep(value: Any) -> Any:
    """ID numbers and phones masked at any depth (household members too); erased stays."""
    if isinstance(value, Mapping):
        return {k: (_mask(k, v) if k in MASKED_KEYS else mask_deep(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_deep(v) for v in value]
    return value


def _mask(key: str, value: Any) -> Any:
    if value is None or value == ERASED or not isinstance(value, str):
        return value
    return masking.MASKS[key](value)


def for_role(view: Mapping, pii: bool) -> dict:
    """A view as a caller sees it: in clear for roles with residents.read_pii, else masked."""
    return dict(view) if pii else mask_deep(view)


def fields_in_clear(pii: bool, erased: bool) -> list[str]:
    """The personal fields a view shows in clear (what the access trail records)."""
    if erased:
        return []
    return [f for f in PERSONAL_FIELDS if pii or f not in MASKED_KEYS]
