"""Personal data of members and volunteers: sealed inside events with a key of each
person's own, opened for the read models, unreadable once the key is destroyed.

    events = seal(vault, events, conn)       # before store.append (same transaction)
    events = unseal(vault, recorded, conn)   # before the read models fold them

Which fields are sealed, and under whose key, is SEALED: a member's name under
`member-<id>`, a volunteer's name and phone under `volunteer-<id>`, an organization's
leader under `organization-<id>` (the keys and the cipher are shared.security.erasure's,
in activities' own store); a resident's comments on an activity under the resident's own
key (RESIDENT_SEALING, events.RESIDENT_SEALED). When the residents service erases a
resident (its KeyDestroyed), activities' key of the resident and the keys of the members
and volunteers who are that resident are destroyed and the read models forget their names.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

import sqlalchemy as sa

from shared.events import NewEvent, Recorded
from shared.security import erasure
from shared.security.erasure import ERASED, KeyVault
from shared.security.sealing import Sealing

from services.activities.events import RESIDENT_SEALED

# event type -> (the payload key naming the person, the key's prefix, sealed fields)
SEALED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "MemberJoined": ("member_id", "member", ("name",)),
    "VolunteerRegistered": ("volunteer_id", "volunteer", ("name", "phone")),
    "OrganizationIncubated": ("organization_id", "organization", ("leader",)),
}
# Text about a resident under the resident's own key; feedback may name no one.
RESIDENT_SEALING = Sealing(RESIDENT_SEALED, anonymous=frozenset(RESIDENT_SEALED))


def key_id(event_type: str, payload) -> str | None:
    spec = SEALED.get(event_type)
    return f"{spec[1]}-{payload[spec[0]]}" if spec else None


def sealed_payload(event_type: str, payload, key: bytes) -> dict:
    """The payload with the event type's personal fields sealed with `key` (pure)."""
    spec = SEALED.get(event_type)
    return erasure.encrypt_fields(payload, spec[2], key) if spec else dict(payload)


def seal(vault: KeyVault, events: Sequence[NewEvent], conn: sa.Connection) -> list[NewEvent]:
    """The events with their personal fields sealed (each person's key made on first use);
    SubjectErased (409) for new text about an erased resident."""
    events = RESIDENT_SEALING.seal(vault, events, conn)
    out = []
    for event in events:
        subject = key_id(event.type, event.payload)
        if subject is not None:
            key = vault.create(subject, conn)
            event = dataclasses.replace(event, payload=sealed_payload(event.type,
                                                                      event.payload, key))
        out.append(event)
    return out


def unseal(vault: KeyVault, events: Iterable[Recorded],
           conn: sa.Connection | None = None) -> list[Recorded]:
    """The events with their personal fields opened, or "[erased]" where the key is gone."""
    events = RESIDENT_SEALING.unseal(vault, events, conn)
    out = []
    for event in events:
        subject = key_id(event.type, event.payload)
        if subject is not None:
            opened = vault.unseal(subject, event.payload, SEALED[event.type][2], conn=conn)
            event = dataclasses.replace(event, payload=opened)
        out.append(event)
    return out


def people_of(conn: sa.Connection, resident_id: str, members: sa.Table,
              volunteers: sa.Table) -> list[str]:
    """The key ids of the members and volunteers who are this resident."""
    found = [f"member-{m}" for m in conn.execute(
        sa.select(members.c.member_id).where(members.c.resident_id == resident_id)).scalars()]
    return found + [f"volunteer-{v}" for v in conn.execute(
        sa.select(volunteers.c.volunteer_id)
        .where(volunteers.c.resident_id == resident_id)).scalars()]


def forget(vault: KeyVault, conn: sa.Connection, resident_id: str, members: sa.Table,
           volunteers: sa.Table, reason: str | None) -> int:
    """Destroy activities' key of the resident (their comments) and the keys of their
    member and volunteer records, and overwrite what the read models keep of their names
    and phones; returns how many people."""
    vault.destroy(resident_id, actor="residents", reason=reason, conn=conn)
    people = people_of(conn, resident_id, members, volunteers)
    for subject in people:
        vault.destroy(subject, actor="residents", reason=reason, conn=conn)
    conn.execute(members.update().where(members.c.resident_id == resident_id)
                 .values(name=ERASED))
    conn.execute(volunteers.update().where(volunteers.c.resident_id == resident_id)
                 .values(name=ERASED, phone=sa.case((volunteers.c.phone.is_(None), None),
                                                    else_=ERASED)))  # as a refold reads it
    return len(people)
