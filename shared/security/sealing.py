"""Which fields of a service's events are sealed, and under whose key: the reusable half
of crypto-shredding (the cipher and the keys are shared.security.erasure's).

Every service that keeps a resident's personal data or free text about them declares

    SEALING = Sealing({"CaseOpened": ("problem",), "VisitRecorded": ("findings", "notes")})

(the key's subject is the payload's `resident_id` unless `subject=` says otherwise;
`anonymous=` names the types that may name no one, e.g. feedback left without a name: their
text is about no one registered, so it stays in clear) and

    events = SEALING.seal(vault, events, conn)       # before store.append, same transaction
    events = SEALING.unseal(vault, recorded, conn)   # before views, folds for answers, read models

Once the subject's key is destroyed, every sealed field that holds a value reads as
"[erased]" (`erased=`), whether it was stored sealed or, written before sealing existed,
in clear: so answers and rebuilt read models are the same for both. Nothing new is sealed
for an erased subject: `seal` raises SubjectErased (a 409 `resident_erased`), unless the
event carries no new value to seal (a copied ciphertext, only nulls).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping, Sequence

import sqlalchemy as sa

from shared.events import NewEvent, Recorded
from shared.kit.errors import Conflicting
from shared.security import erasure
from shared.security.erasure import ERASED, KeyVault

Subject = Callable[[str, Mapping], "str | None"]


class SubjectErased(Conflicting):
    """The resident's personal data was erased: nothing about them is written again."""
    code = "resident_erased"

    def __init__(self):
        super().__init__("The resident's personal data was erased: no new text about them "
                         "is kept", "该居民的个人信息已删除，不再记录与其有关的文字")


def by_resident(_event_type: str, payload: Mapping) -> str | None:
    return payload.get("resident_id")


def erase_values(payload: Mapping, fields: Iterable[str], erased: Any = ERASED) -> dict:
    """A copy with each named field that holds a value replaced by `erased` (pure)."""
    out = dict(payload)
    for name in fields:
        if out.get(name) is not None:
            out[name] = erased
    return out


@dataclasses.dataclass(frozen=True)
class Sealing:
    fields: Mapping[str, tuple[str, ...]]  # event type -> its sealed payload fields
    subject: Subject = by_resident
    anonymous: frozenset[str] = frozenset()  # types whose text may be about no one named

    def fields_of(self, event_type: str) -> tuple[str, ...]:
        return self.fields.get(event_type, ())

    def seal(self, vault: KeyVault, events: Sequence[NewEvent],
             conn: sa.Connection, keys: Mapping[str, bytes] | None = None) -> list[NewEvent]:
        """The events with their sealed fields encrypted (a subject's key made on first use).
        `keys`: subjects' keys already at hand (KeyVault.create_many, for a batch)."""
        keys = keys or {}
        out = []
        for event in events:
            fields = self.fields_of(event.type)
            if any(_fresh(event.payload.get(f)) for f in fields):
                subject = self._subject_of(event.type, event.payload)
                if subject is None:  # anonymous: no one's key, nothing to erase later
                    out.append(event)
                    continue
                key = keys.get(subject)
                try:
                    key = key or vault.create(subject, conn)
                except erasure.ResidentErased:
                    raise SubjectErased() from None
                event = dataclasses.replace(
                    event, payload=erasure.encrypt_fields(event.payload, fields, key))
            out.append(event)
        return out

    def unseal(self, vault: KeyVault, events: Iterable[Recorded],
               conn: sa.Connection | None = None, subject: str | None = None,
               erased: Any = ERASED, known: Mapping[str, bytes] | None = None
               ) -> list[Recorded]:
        """The events with their sealed fields opened; "[erased]" where the key is gone.
        `subject`: whose key, for events that do not name it (written before sealing).
        `known`: live keys already at hand (those just used to seal a batch)."""
        keys: dict[str, tuple[bytes | None, bool]] = {
            who: (key, False) for who, key in (known or {}).items()}
        out = []
        for event in events:
            fields = self.fields_of(event.type)
            who = (self.subject(event.type, event.payload) or subject) if fields else None
            if who is not None:
                if who not in keys:
                    keys[who] = vault.entry(who, conn)
                key, destroyed = keys[who]
                payload = (erase_values(event.payload, fields, erased) if destroyed
                           else erasure.decrypt_fields(event.payload, fields, key, erased))
                event = dataclasses.replace(event, payload=payload)
            out.append(event)
        return out

    def opener(self, store):
        """For a shared.kit Projection's `open=`: stored events -> what appliers read."""
        keys = KeyVault(store)
        return lambda conn, events: self.unseal(keys, events, conn)

    def _subject_of(self, event_type: str, payload: Mapping) -> str | None:
        subject = self.subject(event_type, payload)
        if not subject and event_type in self.anonymous:
            return None
        if not subject:
            raise ValueError(f"{event_type}: a sealed event must name whose key seals it")
        return subject


def _fresh(value: Any) -> bool:
    """A value still to be sealed (not null, not a ciphertext copied from another event)."""
    return value is not None and not erasure.is_encrypted(value)


def forget_resident(store, conn: sa.Connection, erased: Recorded) -> list[Recorded]:
    """The residents service erased a resident (its KeyDestroyed): destroy this store's
    key of them, recording this service's own KeyDestroyed once; the erasure's reason
    stays with residents (it is theirs to keep)."""
    recorded = KeyVault(store).destroy(
        erased.payload["resident_id"], actor=erased.actor, conn=conn,
        reason=f"erased by residents (event {erased.event_id})")
    return [recorded] if recorded is not None else []
