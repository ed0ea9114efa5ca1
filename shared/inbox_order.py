"""Per stream, in order: an event waits behind an earlier event of its stream that is
quarantined (shared.inbox), and is applied right after it.

Why: the inbox moves its checkpoint past a failing event so the other streams go on. If
the later events of *that* stream went on too, the failing one, applied on retry, would
land after them: an upgrade retried after a later downgrade leaves casework's card rhythm
on the upgrade. So an event whose stream has an earlier event in quarantine is not
applied: it is *held* in the quarantine (status `held`, with its envelope), its checkpoint
passed. When the earlier event is applied (on retry, or when an operator replays it once
parked), the held events of its stream are applied at once after it, in position order,
in the same transaction. If the earlier one is parked, its stream stays held with it and
health counts the held events with the parked ones (shared.health).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Mapping

import sqlalchemy as sa

from shared import logs
from shared.events import Recorded
from shared.tables import quarantine

if TYPE_CHECKING:
    from shared.inbox import Inbox

log = logs.get("inbox")


class ReleaseFailed(Exception):
    """A held event failed when its turn came: the earlier event's retry fails with it
    (rolled back together), so the stream stays in order."""


def earlier_in_quarantine(inbox: "Inbox", conn, event: Recorded) -> int | None:
    """The position of an earlier quarantined event of the event's stream, if any."""
    if not event.stream_id:
        return None
    return conn.execute(sa.select(sa.func.min(quarantine.c.position))
                        .where(quarantine.c.name == inbox.name)
                        .where(quarantine.c.stream_id == event.stream_id)
                        .where(quarantine.c.position < event.position)).scalar()


def hold_if_behind(inbox: "Inbox", conn, event: Recorded, envelope: Mapping) -> bool:
    """Hold the event (True) if an earlier event of its stream is quarantined."""
    behind = earlier_in_quarantine(inbox, conn, event)
    if behind is None:
        return False
    conn.execute(quarantine.delete().where(quarantine.c.name == inbox.name)
                 .where(quarantine.c.position == event.position))
    conn.execute(quarantine.insert().values(
        name=inbox.name, position=event.position, event_id=event.event_id, type=event.type,
        stream_id=event.stream_id, status="held", envelope=json.dumps(dict(envelope)),
        error=f"waits behind position {behind} of its stream"))
    log.info("inbox.held", consumer=inbox.consumer, source=inbox.source,
             position=event.position, behind=behind)
    return True


def release(inbox: "Inbox", conn, stream_id: str | None) -> int:
    """Apply the held events of the stream that nothing quarantined precedes any more."""
    if not stream_id:
        return 0
    rows = conn.execute(sa.select(quarantine).where(quarantine.c.name == inbox.name)
                        .where(quarantine.c.stream_id == stream_id)
                        .order_by(quarantine.c.position)).all()
    released = 0
    for row in rows:
        if row.status != "held":
            break  # an earlier event still waits: the ones after it stay held
        event = Recorded.from_dict(json.loads(row.envelope))
        try:
            inbox._apply(conn, event)
        except Exception as exc:
            raise ReleaseFailed(f"held event at position {row.position} of the stream: "
                                f"{type(exc).__name__}: {exc}") from exc
        conn.execute(quarantine.delete().where(quarantine.c.name == inbox.name)
                     .where(quarantine.c.position == row.position))
        released += 1
    if released:
        log.info("inbox.released", consumer=inbox.consumer, source=inbox.source,
                 released=released)
    return released
