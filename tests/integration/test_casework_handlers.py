"""Casework's handlers on a real store (SQLite and PostgreSQL): the card policy fed
with residents' events as the inbox delivers them, visits satisfying follow-ups, the
overdue checker, atomicity, and read models that rebuild to the same rows."""
from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from shared import db, migrations
from shared.events import Recorded, iso
from shared.eventstore import EventStore

from services.casework import commands as c
from services.casework import handlers, policy, privacy, projections, queries
from shared.kit.errors import Duplicate, IllegalTransition, Invalid as InvalidCommand, Missing as Unknown
from services.casework.events import registry

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def new_ctx(engine) -> handlers.Context:
    """Casework's store as the service opens it: read models and the vault's tables."""
    projections.metadata.create_all(engine)
    store = EventStore(engine, registry)
    privacy.vault(store)
    return handlers.Context(store, policy.load())


@pytest.fixture
def ctx(engine):
    return new_ctx(engine)


def residents_event(type_: str, payload: dict, at: datetime, position: int) -> Recorded:
    """A residents' event as the inbox hands it to a handler."""
    return Recorded(event_id=f"res-evt-{position}", stream_id=f"resident-{payload['resident_id']}",
                    stream_version=position, position=position, type=type_, schema_version=1,
                    station_id=payload.get("station_id"), occurred_at=iso(at),
                    recorded_at=iso(at), actor="residents", correlation_id=None,
                    causation_id=None, payload=payload, prev_hash="", hash="")


def deliver(ctx, event: Recorded) -> None:
    table = handlers.residents_handlers(ctx.store, ctx.policy)
    with ctx.store.engine.begin() as conn:
        table[event.type](conn, event)


def worklist(ctx, now: datetime, **filters) -> list[dict]:
    with ctx.store.engine.connect() as conn:
        return queries.list_followups(conn, now, **filters)["items"]


def given_card(ctx, card="red", at=T0, resident="res-1", position=1, station="st-1"):
    deliver(ctx, residents_event("CardAssigned", {"resident_id": resident, "station_id": station,
                                                  "card": card, "domain_cards": {},
                                                  "reason": "assessment"}, at, position))


def visit(ctx, at: datetime, resident="res-1", now=None, **extra) -> dict:
    command = c.RecordVisit(extra.pop("visit_id", f"visit-{at.isoformat()}"), resident, None,
                            None, "home", at, "wang", None, None, None, (), "wang")
    return handlers.execute(ctx, dataclasses.replace(command, **extra), now or at)


def stored(ctx) -> int:
    """How many events the store holds (numbered first: positions come after commit)."""
    while ctx.store.sequence():
        pass
    return ctx.store.last_position()


def stream_types(ctx, stream_id: str) -> list[str]:
    return [e.type for e in ctx.store.read_stream(stream_id)]


def test_green_then_red_replaces_the_quarterly_follow_up_with_a_24_hour_one(ctx):
    deliver(ctx, residents_event("ResidentRegistered", {
        "resident_id": "res-1", "station_id": "st-1", "community_id": "cm-1"}, T0, 1))
    given_card(ctx, "green", T0, position=2)
    (green,) = worklist(ctx, T0)
    assert green["card"] == "green" and green["due_at"] == iso(T0 + 90 * DAY)
    upgraded = T0 + 10 * DAY
    deliver(ctx, residents_event("CardUpgraded", {"resident_id": "res-1", "station_id": "st-1",
                                                  "from_card": "green", "to_card": "red",
                                                  "reason": "fall", "confirmed_by": "li"},
                                 upgraded, 3))
    (red,) = worklist(ctx, upgraded)
    assert (red["card"], red["status"], red["kind"]) == ("red", "due", "first_contact")
    assert red["due_at"] == iso(upgraded + 24 * HOUR)
    assert stream_types(ctx, f"followup-{green['id']}") == ["FollowUpScheduled",
                                                            "FollowUpCancelled"]


def test_the_same_card_again_keeps_the_rhythm(ctx):
    given_card(ctx, "blue", T0, position=1)
    given_card(ctx, "blue", T0 + DAY, position=2)
    assert len(worklist(ctx, T0 + DAY)) == 1


def test_a_redelivered_card_event_schedules_nothing_twice(ctx):
    given_card(ctx, "red", T0, position=1)
    given_card(ctx, "red", T0, position=1)
    with ctx.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(projections.followups)
                            ).scalar() == 1


def test_a_resident_who_moves_out_is_no_longer_followed_up(ctx):
    given_card(ctx, "red")
    deliver(ctx, residents_event("ResidentStatusChanged", {
        "resident_id": "res-1", "station_id": "st-1", "from_status": "active",
        "status": "moved_out", "effective_date": "2026-11-29"}, T0 + HOUR, 2))
    assert worklist(ctx, T0 + HOUR) == []
    given_card(ctx, "blue", T0 + 2 * HOUR, position=3)
    assert worklist(ctx, T0 + 2 * HOUR) == []


def test_a_resident_transferred_to_another_station_gets_its_first_contact_there(ctx):
    given_card(ctx, "red")
    moved = T0 + 3 * DAY
    deliver(ctx, residents_event("ResidentTransferred", {
        "resident_id": "res-1", "station_id": "st-2", "from_station_id": "st-1",
        "from_community_id": "cm-1", "to_station_id": "st-2", "community_id": "cm-9"}, moved, 2))
    assert worklist(ctx, moved, station_id="st-1") == []
    (there,) = worklist(ctx, moved, station_id="st-2")
    assert (there["card"], there["due_at"]) == ("red", iso(moved + 24 * HOUR))


def test_a_visit_in_the_window_is_done_and_the_next_week_is_scheduled(ctx):
    given_card(ctx, "red")
    result = visit(ctx, T0 + 5 * HOUR)
    assert len(result["followups_done"]) == 1
    items = worklist(ctx, T0 + 5 * HOUR, resident_id="res-1")
    assert [(i["status"], i["kind"]) for i in items] == [("done", "first_contact"),
                                                          ("due", "regular")]
    assert items[1]["due_at"] == iso(T0 + 5 * HOUR + 7 * DAY)


def test_the_checker_flags_a_missed_follow_up_once(ctx):
    given_card(ctx, "red")
    assert handlers.check_overdue(ctx, T0 + 23 * HOUR) == []
    first = handlers.check_overdue(ctx, T0 + 25 * HOUR)
    assert len(first) == 1
    assert handlers.check_overdue(ctx, T0 + 26 * HOUR) == []
    assert stream_types(ctx, f"followup-{first[0]}") == ["FollowUpScheduled", "FollowUpOverdue"]
    (item,) = worklist(ctx, T0 + 26 * HOUR, status="overdue")
    assert item["id"] == first[0]


def test_a_late_visit_records_the_miss_even_before_the_checker_ran(ctx):
    given_card(ctx, "red")
    (done,) = visit(ctx, T0 + 30 * HOUR)["followups_done"]
    assert stream_types(ctx, f"followup-{done}") == ["FollowUpScheduled", "FollowUpOverdue",
                                                     "FollowUpDone"]
    assert handlers.check_overdue(ctx, T0 + 31 * HOUR) == []


def test_refused_commands_write_nothing(ctx):
    given_card(ctx, "red")
    handlers.execute(ctx, c.OpenCase("case-1", "res-1", None, "elderly", "x", "wang", "wang"), T0)
    before = stored(ctx)
    with pytest.raises(InvalidCommand):
        visit(ctx, T0 + 2 * HOUR, now=T0, visit_id="v-future")  # ahead of the clock
    with pytest.raises(IllegalTransition):
        handlers.execute(ctx, c.RequestClosure("case-1", "rq", "goals_met", None, "wang"), T0)
    with pytest.raises(Unknown):
        visit(ctx, T0, visit_id="v-2", case_id="case-2")  # no such case
    assert stored(ctx) == before
    assert stream_types(ctx, "visit-v-future") == []


def test_a_visit_and_its_follow_up_are_written_together_or_not_at_all(ctx, monkeypatch):
    given_card(ctx, "red")
    before = stored(ctx)

    def broken(conn, event):
        raise RuntimeError("disk full while projecting")
    monkeypatch.setitem(projections.APPLIERS, "FollowUpDone", broken)
    with pytest.raises(RuntimeError):
        visit(ctx, T0 + HOUR, visit_id="v-half")
    assert stored(ctx) == before
    assert stream_types(ctx, "visit-v-half") == []
    assert worklist(ctx, T0 + HOUR)[0]["status"] == "due"


def test_a_new_case_takes_the_residents_follow_ups_and_a_transfer_hands_them_on(ctx):
    given_card(ctx, "red")
    handlers.execute(ctx, c.OpenCase("case-1", "res-1", None, "elderly", "x", "wang", "wang"), T0)
    assert worklist(ctx, T0, worker="wang")[0]["worker"] == "wang"
    handlers.execute(ctx, c.TransferCase("case-1", "chen", "leave", "li"), T0)
    assert worklist(ctx, T0, worker="wang") == []
    assert len(worklist(ctx, T0, worker="chen")) == 1


def test_referrals_past_their_dates_are_listed_as_overdue(ctx):
    given_card(ctx, "red")
    handlers.execute(ctx, c.OpenCase("case-1", "res-1", None, "assistance", "x", "wang", "wang"),
                     T0)
    today = ctx.policy.today(T0)
    handlers.execute(ctx, c.MakeReferral("ref-1", "case-1", "legal_aid", "Wage arrears",
                                         today + 7 * DAY, "wang"), T0)
    with ctx.store.engine.connect() as conn:
        assert queries.list_referrals(conn, today + 7 * DAY, overdue=True)["total"] == 0
        late = queries.list_referrals(conn, today + 8 * DAY, overdue=True)["items"]
    assert [r["id"] for r in late] == ["ref-1"]


def test_campaign_coverage_counts_red_and_blue_residents_visited_in_the_period(ctx):
    for n, card in enumerate(("red", "blue", "green", "red"), start=1):
        given_card(ctx, card, T0, resident=f"res-{n}", position=n)
    handlers.execute(ctx, c.DeclareCampaign("camp-1", "st-1", "寒潮走访", "extreme_cold",
                                            ctx.policy.today(T0), ctx.policy.today(T0) + 6 * DAY,
                                            ("red", "blue"), "head"), T0)
    visit(ctx, T0 + HOUR, resident="res-1")
    visit(ctx, T0 + 2 * HOUR, resident="res-3")  # green: not a target
    with ctx.store.engine.connect() as conn:
        _, rows = queries.campaign_coverage(conn, ctx.policy, "camp-1")
    assert [(r.resident_id, r.visited) for r in rows] == [("res-1", True), ("res-2", False),
                                                          ("res-4", False)]


def test_the_read_models_rebuild_from_the_events_to_the_same_rows(ctx):
    given_card(ctx, "red")
    handlers.execute(ctx, c.OpenCase("case-1", "res-1", None, "elderly", "x", "wang", "wang"), T0)
    handlers.execute(ctx, c.AssessCase("case-1", "ok", (), "wang"), T0)
    handlers.execute(ctx, c.RecordService("case-1", "svc-1", T0, 40, None, None, "wang"), T0)
    visit(ctx, T0 + HOUR)
    handlers.check_overdue(ctx, T0 + 30 * DAY)

    def snapshot():
        with ctx.store.engine.connect() as conn:
            return {t.name: sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr)
                    for t in projections.OWN_TABLES}
    live = snapshot()
    assert projections.rebuild(ctx.store) == stored(ctx)
    assert snapshot() == live


def test_the_local_picture_of_residents_rebuilds_from_their_events(ctx):
    given_card(ctx, "blue", T0, resident="res-1", position=1)
    given_card(ctx, "red", T0 + DAY, resident="res-1", position=2)
    envelopes = [residents_event("CardAssigned", {"resident_id": "res-1", "station_id": "st-1",
                                                  "card": card}, T0 + (n - 1) * DAY, n).to_dict()
                 for n, card in ((1, "blue"), (2, "red"))]

    def residents():
        with ctx.store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(projections.known_residents))]
    live = residents()
    assert live == [("res-1", "st-1", None, "red", iso(T0 + DAY), None)]
    projections.rebuild_residents(ctx.store.engine, envelopes)
    assert residents() == live


@pytest.fixture
def pg_ctx(database_url):
    engine = db.make_engine(database_url, schema="casework")
    migrations.upgrade(engine)
    yield new_ctx(engine)
    engine.dispose()


def test_two_checkers_that_read_the_same_version_emit_one_overdue(pg_ctx, monkeypatch):
    """Both checkers read the follow-up before either appends (a barrier holds them):
    the store refuses the second append and the loser, reading again, finds it flagged."""
    given_card(pg_ctx, "red")
    barrier, loads = threading.Barrier(2, timeout=30), []
    load = handlers.load_followup

    def load_then_wait(ctx, followup_id, conn):
        state = load(ctx, followup_id, conn)
        loads.append(state.version)
        if len(loads) <= 2:
            barrier.wait()
        return state
    monkeypatch.setattr(handlers, "load_followup", load_then_wait)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(
        handlers.check_overdue(pg_ctx, T0 + 25 * HOUR))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(len(r) for r in results) == [0, 1]
    assert loads == [1, 1, 2]  # both read version 1; the loser read again and saw 2
    (followup_id,) = [f for r in results for f in r]
    assert stream_types(pg_ctx, f"followup-{followup_id}") == ["FollowUpScheduled",
                                                               "FollowUpOverdue"]


def closed_case(ctx, case_id: str, resident="res-1", domain="elderly") -> None:
    """A case run from opening to an approved closure."""
    run = lambda command: handlers.execute(ctx, command, T0)  # noqa: E731
    run(c.OpenCase(case_id, resident, None, domain, "x", "wang", "wang"))
    run(c.AssessCase(case_id, "needs contact", (), "wang"))
    run(c.DraftServicePlan(case_id, ("weekly visits",), "wang"))
    run(c.RequestPlanApproval(case_id, f"{case_id}-plan", "wang"))
    run(c.ApproveRequest(case_id, f"{case_id}-plan", None, "li", "supervisor"))
    run(c.RequestClosure(case_id, f"{case_id}-close", "goals_met", None, "wang"))
    run(c.ApproveRequest(case_id, f"{case_id}-close", None, "li", "supervisor"))


def open_cases(ctx, resident="res-1") -> list[str]:
    T = projections.cases
    with ctx.store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(T.c.case_id).where(T.c.resident_id == resident)
                                   .where(T.c.state != "closed")).scalars())


def test_a_closed_case_is_not_reopened_beside_another_open_case_of_its_domain(ctx):
    given_card(ctx, "red")
    closed_case(ctx, "case-a")
    handlers.execute(ctx, c.OpenCase("case-b", "res-1", None, "elderly", "y", "wang", "wang"),
                     T0)
    before = stored(ctx)
    with pytest.raises(Duplicate) as refused:
        handlers.execute(ctx, c.ReopenCase("case-a", "fell again", "wang"), T0)
    assert refused.value.message_zh == "该居民在此领域已有未结个案"
    assert stored(ctx) == before
    assert open_cases(ctx) == ["case-b"]


def test_a_case_reopened_holds_the_slot_so_no_other_case_opens_beside_it(ctx):
    given_card(ctx, "red")
    closed_case(ctx, "case-a")
    handlers.execute(ctx, c.ReopenCase("case-a", "fell again", "wang"), T0)
    with pytest.raises(Duplicate):
        handlers.execute(ctx, c.OpenCase("case-b", "res-1", None, "elderly", "y", "wang",
                                         "wang"), T0)
    handlers.execute(ctx, c.OpenCase("case-c", "res-1", None, "child", "z", "wang", "wang"), T0)
    assert open_cases(ctx) == ["case-a", "case-c"]


def test_a_closed_case_is_not_transferred_back_into_work_beside_an_open_one(ctx):
    """A transfer hands a working case on; it is no way back into an open state."""
    given_card(ctx, "red")
    closed_case(ctx, "case-a")
    handlers.execute(ctx, c.OpenCase("case-b", "res-1", None, "elderly", "y", "wang", "wang"),
                     T0)
    before = stored(ctx)
    with pytest.raises(IllegalTransition):
        handlers.execute(ctx, c.TransferCase("case-a", "chen", "leave", "li"), T0)
    handlers.execute(ctx, c.TransferCase("case-b", "chen", "leave", "li"), T0)
    assert stored(ctx) > before
    assert open_cases(ctx) == ["case-b"]
