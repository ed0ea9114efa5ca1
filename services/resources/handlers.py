"""Command handlers: load the streams, decide, append at the version read, project —
in one transaction, so a refused or failed command writes nothing.

Every handler is `handler(ctx, command, now) -> dict`, routed by COMMAND_HANDLERS.
A ConcurrencyError (another writer appended to a stream since we read it) runs the
whole command again on fresh state: for two allocations of the last unit, the second
is then decided on a holding with nothing left and refused (409), never both written.

The residents' events (the needs library, residents and the organisation tree) are
handled here too, in the inbox's transaction: `residents_handlers`.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Callable, Sequence

import sqlalchemy as sa

from shared.clock import CHINA, china_date
from shared.events import NewEvent, Recorded
from shared.eventstore import EventStore
from shared.kit import runner
from shared.security.erasure import KeyVault

from services.resources import commands as c
from services.resources import matching, partner, privacy, projections, stock, wish
from services.resources.needs import KnownNeed

# Many allocations may race for one holding; each lost race is one more attempt.
ATTEMPTS = 8
# The stations keep China Standard Time: the day of a donation, an allocation, a wish.
CST = CHINA
today = china_date


@dataclasses.dataclass(frozen=True)
class Context:
    store: EventStore
    correlation_id: str | None = None
    causation_id: str | None = None


# -- plumbing -------------------------------------------------------------------------

def transact(ctx: Context, work: Callable[[sa.Connection], dict]) -> dict:
    """`work` in a transaction, run again on fresh state if a stream moved meanwhile
    (the kit's one retry policy, shared.kit.runner)."""
    KeyVault(ctx.store)  # its tables exist before any transaction (SQLite)
    return runner.transact(ctx.store.engine, work, attempts=ATTEMPTS)


def commit(ctx: Context, conn, stream_id: str, version: int,
           events: Sequence[NewEvent]) -> list[Recorded]:
    """Append at `version` (text about a resident sealed with their key) and fold into
    the read models (opened), inside `conn`'s transaction."""
    vault = KeyVault(ctx.store)
    stamped = runner.stamp(events, ctx.correlation_id, ctx.causation_id)
    recorded = ctx.store.append(stream_id, version, privacy.SEALING.seal(vault, stamped, conn),
                                conn=conn)
    projections.apply_all(conn, privacy.SEALING.unseal(vault, recorded, conn))
    return recorded


def load_partner(ctx: Context, conn, partner_id: str | None) -> partner.Partner:
    if not partner_id:
        return partner.Partner()
    return partner.fold(ctx.store.read_stream(f"partner-{partner_id}", conn=conn))


def load_holding(ctx: Context, conn, holding_id: str | None) -> stock.Holding:
    if not holding_id:
        return stock.Holding()
    return stock.fold(ctx.store.read_stream(f"stock-{holding_id}", conn=conn))


def load_wish(ctx: Context, conn, wish_id: str) -> wish.Wish:
    state = wish.fold(ctx.store.read_stream(f"wish-{wish_id}", conn=conn))
    return state if state.wish_id else dataclasses.replace(state, wish_id=wish_id)


def known_need(conn, need_id: str | None) -> KnownNeed | None:
    if not need_id:
        return None
    T = projections.known_needs
    row = conn.execute(sa.select(T).where(T.c.need_id == need_id)).first()
    return KnownNeed(**row._mapping) if row else None


# -- partners and stock ---------------------------------------------------------------

def register_partner(ctx: Context, cmd: c.RegisterPartner, now: datetime) -> dict:
    def work(conn):
        state = load_partner(ctx, conn, cmd.partner_id)
        commit(ctx, conn, f"partner-{cmd.partner_id}", state.version,
               partner.register(state, cmd, now))
        return {"id": cmd.partner_id}
    return transact(ctx, work)


def donate(ctx: Context, cmd: c.DonateResource, now: datetime) -> dict:
    def work(conn):
        giver = load_partner(ctx, conn, cmd.partner_id)
        holding_id = stock.holding_of(cmd)
        state = load_holding(ctx, conn, holding_id)
        events = stock.donate(state, cmd, giver, today(now), now)
        commit(ctx, conn, f"stock-{holding_id}", state.version, events)
        return _stock_result(cmd.donation_id, stock.fold(events, state))
    return transact(ctx, work)


def allocate(ctx: Context, cmd: c.AllocateResource, now: datetime) -> dict:
    def work(conn):
        state = load_holding(ctx, conn, cmd.holding_id)
        events = stock.allocate(state, cmd, today(now), now)
        commit(ctx, conn, f"stock-{cmd.holding_id}", state.version, events)
        return {**_stock_result(cmd.allocation_id, stock.fold(events, state)),
                "value": events[0].payload["value"]}
    return transact(ctx, work)


def _stock_result(thing_id: str, h: stock.Holding) -> dict:
    return {"id": thing_id, "stock_id": h.holding_id, "quantity_left": h.quantity,
            "value_left": stock.money.text(h.value)}


# -- micro-wishes ---------------------------------------------------------------------

def post_wish(ctx: Context, cmd: c.PostWish, now: datetime) -> dict:
    def work(conn):
        state = load_wish(ctx, conn, cmd.wish_id)
        events = wish.post(state, cmd, known_need(conn, cmd.need_id), today(now), now)
        commit(ctx, conn, f"wish-{cmd.wish_id}", state.version, events)
        return _wish_result(wish.fold(events, state))
    return transact(ctx, work)


def wish_step(ctx: Context, cmd, now: datetime) -> dict:
    """Claim, deliver or close: the same load–decide–append on the wish."""
    def work(conn):
        state = load_wish(ctx, conn, cmd.wish_id)
        if isinstance(cmd, c.ClaimWish):
            events = wish.claim(state, cmd, load_partner(ctx, conn, cmd.partner_id),
                                today(now), now)
        elif isinstance(cmd, c.DeliverWish):
            events = wish.deliver(state, cmd, today(now), now)
        else:
            events = wish.close(state, cmd, now)
        commit(ctx, conn, f"wish-{cmd.wish_id}", state.version, events)
        return _wish_result(wish.fold(events, state))
    return transact(ctx, work)


def _wish_result(w: wish.Wish) -> dict:
    return {"id": w.wish_id, "state": w.state, "version": w.version}


def expire_wishes(ctx: Context, now: datetime) -> list[str]:
    """Expire every wish past its date; returns the ids this call expired. Any number
    of callers at once: a loser of the race reads the wish again and finds it expired."""
    T = projections.wishes
    with ctx.store.engine.connect() as conn:
        candidates = list(conn.execute(
            sa.select(T.c.wish_id).where(T.c.state.in_((wish.POSTED, wish.CLAIMED)))
            .where(T.c.expires_on < today(now).isoformat()).order_by(T.c.expires_on)).scalars())
    return [w for w in candidates if _expire_once(ctx, w, now)]


def _expire_once(ctx: Context, wish_id: str, now: datetime) -> bool:
    def work(conn):
        state = load_wish(ctx, conn, wish_id)
        events = wish.expire(state, c.ExpireWish(wish_id), today(now), now)
        if events:
            commit(ctx, conn, f"wish-{wish_id}", state.version, events)
        return {"expired": bool(events)}
    return transact(ctx, work)["expired"]


# -- matches --------------------------------------------------------------------------

def record_match(ctx: Context, cmd: c.RecordMatch, now: datetime) -> dict:
    def work(conn):
        state = matching.fold(ctx.store.read_stream(f"matches-{cmd.need_id}", conn=conn))
        given = load_partner(ctx, conn, cmd.partner_id) if cmd.partner_id else None
        held = load_holding(ctx, conn, cmd.holding_id) if cmd.holding_id else None
        events = matching.record(state, cmd, known_need(conn, cmd.need_id), given, held, now)
        commit(ctx, conn, f"matches-{cmd.need_id}", state.version, events)
        return {"id": cmd.match_id}
    return transact(ctx, work)


COMMAND_HANDLERS: dict[type, Callable[[Context, object, datetime], dict]] = {
    c.RegisterPartner: register_partner,
    c.DonateResource: donate,
    c.AllocateResource: allocate,
    c.PostWish: post_wish,
    c.ClaimWish: wish_step,
    c.DeliverWish: wish_step,
    c.CloseWish: wish_step,
    c.RecordMatch: record_match,
}


def execute(ctx: Context, command, now: datetime) -> dict:
    """The one way in for commands: one handler per command type; failures propagate."""
    return COMMAND_HANDLERS[type(command)](ctx, command, now)


# -- the residents' events ------------------------------------------------------------

def residents_handlers(store: EventStore) -> dict:
    """The local picture of residents, their needs and the organisation tree, kept in the
    inbox's transaction (no command is run on these events)."""
    def forget(conn, event: Recorded) -> None:  # the resident erased: key and text go
        projections.apply_all(conn, privacy.forget(store, conn, event))

    return {**{name: projections.apply_resident for name in projections.RESIDENT_EVENTS},
            **{name: projections.apply_org for name in projections.ORG_EVENTS},
            **projections.NEED_APPLIERS, "KeyDestroyed": forget}
