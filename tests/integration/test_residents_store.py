"""The residents handlers on the real store, SQLite and PostgreSQL (the `engine` fixture):
ID-number uniqueness by keyed hash, personal fields sealed in the store and erased by
destroying the key, as_of reads from recorded times, read models that rebuild from
events alone, idempotent seeding, and casework's major-change events."""
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from shared.events import Recorded, iso
from shared.eventstore import ConcurrencyError, EventStore
from shared.security.erasure import ERASED, KeyVault
from shared.security.lookup import keyed_hash

from services.residents import commands as c
from services.residents import configuration, handlers, projections, queries
from services.residents.cards import local_date
from shared.kit.errors import Conflicting, Invalid
from services.residents.events import registry
from services.residents.idnumber import check_char
from services.residents.resident import DuplicateIdNumber
from services.residents.rubric import Rubric

pytestmark = pytest.mark.integration

YESTERDAY = datetime.now(timezone.utc) - timedelta(days=1)
TODAY = datetime.now(timezone.utc)
LOOKUP_KEY = b"the-lookup-key-of-these-tests-0123456789"


@pytest.fixture
def store(engine) -> EventStore:
    projections.metadata.create_all(engine)
    store = EventStore(engine, registry)
    KeyVault(store)
    handlers.seed_org(store, YESTERDAY - timedelta(days=1))
    return store


def valid_id(birth: str, seq: str = "123") -> str:
    return "520102" + birth + seq + check_char("520102" + birth + seq)


def register(store, resident_id="r1", id_number=None, community_id="nanmingtang", now=YESTERDAY,
             **extra):
    id_number = id_number or valid_id("19400315")
    command = c.RegisterResident(
        resident_id=resident_id, station_id="xihulu-station", community_id=community_id,
        name="赵淑珍", gender="male", birth_date=date(1940, 3, 15), id_number=id_number,
        id_digest=keyed_hash(id_number, LOOKUP_KEY), categories=("living_alone",), actor="w1",
        **extra)
    return handlers.handle(store, command, now)


def answers(rubric: Rubric, worst: bool) -> dict:
    pick = max if worst else min
    return {q.id: pick(q.options, key=lambda o: o.points).value for q in rubric.questions}


def assess(store, card_red: bool, now, actor="w1", resident_id="r1"):
    rubric = configuration.settings().rubrics["elderly"]
    return handlers.handle(store, c.AssessRisk(
        resident_id=resident_id, assessment_id=f"a-{now.timestamp()}", domain="elderly",
        answers=answers(rubric, card_red), actor=actor), now)


def count_events(store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()


def test_a_second_registration_of_an_id_number_is_refused_with_the_first_id(store):
    register(store, "r1")
    before = count_events(store)
    with pytest.raises(DuplicateIdNumber) as err:
        register(store, "r2", id_number=valid_id("19400315").lower())
    assert err.value.extra["existing_id"] == "r1"
    assert count_events(store) == before
    assert store.read_stream("resident-r2") == []


def test_concurrent_registrations_of_one_id_number_store_exactly_one(store):
    barrier = threading.Barrier(4)
    outcomes = []

    def attempt(i):
        barrier.wait()
        try:
            register(store, f"racer-{i}")
            outcomes.append("registered")
        except DuplicateIdNumber as err:
            outcomes.append(err.extra["existing_id"])

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("registered") == 1
    winner = next(s for s in ("racer-0", "racer-1", "racer-2", "racer-3")
                  if store.read_stream(f"resident-{s}"))
    assert sorted(o for o in outcomes if o != "registered") == [winner] * 3


def test_an_unknown_community_for_the_station_writes_nothing(store):
    before = count_events(store)
    with pytest.raises(Invalid) as err:
        register(store, community_id="nowhere")
    assert "community_id" in err.value.fields
    assert count_events(store) == before


def test_as_of_rebuilds_yesterdays_card_after_todays_change(store):
    register(store)
    assess(store, card_red=True, now=YESTERDAY)
    assess(store, card_red=False, now=TODAY)                       # held: Red stays
    handlers.handle(store, c.ConfirmDowngrade(resident_id="r1", actor="sup-1",
                                              role="supervisor"), TODAY)
    yesterday, _ = queries.read_resident(store, "r1", as_of=YESTERDAY + timedelta(hours=1))
    today, events = queries.read_resident(store, "r1")
    assert (yesterday.card, today.card) == ("red", "green")
    assert [e.type for e in events if e.type.startswith("Card")] == [
        "CardAssigned", "CardDowngradeRequested", "CardDowngraded"]
    body = queries.history_body(yesterday, [], YESTERDAY, TODAY.date())
    assert body["state"]["card"] == "red" and body["as_of"] == YESTERDAY.isoformat()


def test_an_expected_version_that_is_not_the_current_one_is_a_conflict(store):
    register(store)
    with pytest.raises(ConcurrencyError):
        handlers.handle(store, c.UpdateResident(resident_id="r1", changes={"phone": "110"},
                                                expected_version=7), TODAY)
    outcome = handlers.handle(store, c.UpdateResident(resident_id="r1", changes={"phone": "110"},
                                                      expected_version=1), TODAY)
    assert outcome.state.version == 2


def test_lists_filter_by_community_category_and_card_with_paging(store):
    for i in range(5):
        register(store, f"p{i}", id_number=valid_id("19400315", f"{i}11"),
                 community_id="nanmingtang" if i % 2 else "guanjinglu")
    assess(store, card_red=True, now=TODAY, resident_id="p1")
    today = TODAY.date()
    page = queries.list_residents(store.engine, {"community_id": "guanjinglu"},
                                  queries.Page(1, 2), today)
    assert (page["total"], len(page["items"]), page["page_size"]) == (3, 2, 2)
    assert queries.list_residents(store.engine, {"card": "red"}, queries.Page(), today)[
        "items"][0]["id"] == "p1"
    assert queries.list_residents(store.engine, {"card": "none"}, queries.Page(), today)["total"] == 4
    aged = queries.list_residents(store.engine, {"category": "advanced_age"}, queries.Page(), today)
    assert aged["total"] == 5 and "advanced_age" in aged["items"][0]["categories"]
    assert queries.list_residents(store.engine, {"category": "disabled"}, queries.Page(),
                                  today)["total"] == 0


def test_read_models_rebuild_from_the_events_alone(store):
    register(store)
    assess(store, card_red=True, now=TODAY)
    handlers.handle(store, c.RecordNeed(resident_id="r1", need_id="n1", category="medical",
                                        urgency="high", description="需要陪同就医"), TODAY)
    with store.engine.connect() as conn:
        before = [conn.execute(sa.select(t)).all() for t in (projections.residents_view,
                                                             projections.needs_view)]
    projections.rebuild(store)
    with store.engine.connect() as conn:
        after = [conn.execute(sa.select(t)).all() for t in (projections.residents_view,
                                                            projections.needs_view)]
    assert after == before and after[0][0].card == "red"


def test_open_needs_follow_a_transferred_resident_and_met_ones_stay(store):
    register(store)
    for cmd in (c.AddStreet(street_id="zhonghua", district_id="nanming", name="中华南路街道"),
                c.AddStation(station_id="zh-station", street_id="zhonghua", name="中华南路社工站"),
                c.AddCommunity(community_id="zh-1", station_id="zh-station", name="一社区")):
        handlers.handle(store, cmd, TODAY)
    for need_id in ("n1", "n2"):
        handlers.handle(store, c.RecordNeed(resident_id="r1", need_id=need_id, category="daily_care",
                                            urgency="medium", description="助餐"), TODAY)
    handlers.handle(store, c.MeetNeed(resident_id="r1", need_id="n1"), TODAY)
    outcome = handlers.handle(store, c.MoveResident(resident_id="r1", community_id="zh-1"), TODAY)
    assert outcome.recorded[0].type == "ResidentTransferred"
    assert outcome.recorded[0].station_id == "xihulu-station"
    needs = queries.list_needs(store.engine, {"status": "all"}, queries.Page())["items"]
    assert {n["id"]: n["station_id"] for n in needs} == {"n1": "xihulu-station", "n2": "zh-station"}
    assert queries.list_residents(store.engine, {"station_id": "zh-station"}, queries.Page(),
                                  TODAY.date())["total"] == 1


def test_seeding_again_appends_nothing(store):
    before = count_events(store)
    assert handlers.seed_org(store, TODAY) == 0
    assert count_events(store) == before


def test_a_major_change_from_casework_makes_a_reassessment_due_in_the_inbox_transaction(store):
    register(store)
    assess(store, card_red=False, now=YESTERDAY)
    flagged = Recorded.from_dict({
        "event_id": "e-casework-1", "stream_id": "visit-v1", "stream_version": 1, "position": 1,
        "type": "MajorChangeFlagged", "schema_version": 1, "station_id": "xihulu-station",
        "occurred_at": iso(TODAY), "recorded_at": iso(TODAY), "actor": "w9",
        "correlation_id": "corr-1", "causation_id": None, "prev_hash": "0", "hash": "0",
        "payload": {"resident_id": "r1", "station_id": "xihulu-station", "change": "hospitalised",
                    "visit_id": "v1", "flagged_at": TODAY.isoformat()}})
    with store.engine.begin() as conn:
        handlers.on_major_change_flagged(store, conn, flagged, TODAY)
    state, events = queries.read_resident(store, "r1")
    assert state.reassess_reason == "major_change:hospitalised"
    assert state.reassess_on == local_date(TODAY).isoformat()  # due at once
    recorded = [e for e in events if e.type == "MajorChangeRecorded"][0]
    assert (recorded.causation_id, recorded.correlation_id) == ("e-casework-1", "corr-1")


def raw_payloads(store, resident_id="r1") -> list[str]:
    """The payloads as the store keeps them."""
    with store.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT payload FROM events WHERE stream_id = :s"),
                                 {"s": f"resident-{resident_id}"}).scalars())


def every_text_in_the_store(store) -> str:
    """Every row of every table of the store, as one text (what a dump would hold)."""
    with store.engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        return "\n".join(str(tuple(row)) for table in tables
                         for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')))


def test_personal_fields_are_sealed_in_the_store_and_open_when_read(store):
    register(store, phone="13985001234", address="南明堂社区 3 栋")
    handlers.handle(store, c.RecordNeed(resident_id="r1", need_id="n1", category="medical",
                                        urgency="high", description="需要陪同就医"), TODAY)
    stored = "".join(raw_payloads(store))
    for clear in ("赵淑珍", valid_id("19400315"), "13985001234", "南明堂社区", "1940-03-15",
                  "需要陪同就医"):
        assert clear not in stored
    state, _ = queries.read_resident(store, "r1")
    assert (state.name, state.id_number, state.phone, state.birth_date) == (
        "赵淑珍", valid_id("19400315"), "13985001234", "1940-03-15")
    row = queries.list_residents(store.engine, {}, queries.Page(), TODAY.date())["items"][0]
    assert (row["id_number"], row["phone"]) == ("5201**********" + valid_id("19400315")[-4:],
                                                "139****1234")


def test_the_id_number_claim_is_a_keyed_hash_and_finds_the_resident(store):
    register(store)
    digest = keyed_hash(valid_id("19400315"), LOOKUP_KEY)
    assert queries.claimed_by(store, digest) == "r1"
    assert queries.claimed_by(store, keyed_hash(valid_id("19400315"), b"another-key" * 4)) is None
    assert valid_id("19400315") not in every_text_in_the_store(store)


def test_erasure_leaves_no_personal_field_readable_and_every_chain_verifies(store):
    register(store, phone="13985001234", address="南明堂社区 3 栋",
             household={"household_id": None, "members": [
                 {"name": "赵小明", "relation": "child", "resident_id": None,
                  "phone": "13700000001", "birth_date": None}]})
    assess(store, card_red=True, now=TODAY)
    handlers.handle(store, c.RecordNeed(resident_id="r1", need_id="n1", category="medical",
                                        urgency="high", description="需要陪同就医"), TODAY)
    events_before = count_events(store)
    with pytest.raises(Invalid) as err:   # a written reason first
        handlers.handle(store, c.EraseResident(resident_id="r1", reason=" ", actor="h"), TODAY)
    assert "reason" in err.value.fields and count_events(store) == events_before
    outcome = handlers.handle(store, c.EraseResident(resident_id="r1", reason="本人申请删除",
                                                     actor="head-1"), TODAY)
    assert [e.type for e in outcome.recorded] == ["KeyDestroyed"]
    assert count_events(store) == events_before + 1 and store.verify() == []

    state, events = queries.read_resident(store, "r1")
    assert {state.name, state.id_number, state.phone, state.address, state.birth_date,
            state.household} == {ERASED}
    assert state.card == "red" and len(events) == events_before - 11  # the seeded tree's 10 + claim
    dump = every_text_in_the_store(store)
    assert "resident-r1" in dump  # the rows are all there
    for clear in ("赵淑珍", "赵小明", valid_id("19400315"), "13985001234", "13700000001",
                  "南明堂社区 3 栋", "1940-03-15", "需要陪同就医"):
        assert clear not in dump
    projections.rebuild(store)
    assert every_text_in_the_store(store).count("赵淑珍") == 0
    item = queries.list_residents(store.engine, {}, queries.Page(), TODAY.date())["items"][0]
    assert (item["name"], item["id_number"], item["card"], item["erased"]) == (
        ERASED, ERASED, "red", True)
    with pytest.raises(Conflicting) as err:
        handlers.handle(store, c.UpdateResident(resident_id="r1", changes={"phone": "110"}), TODAY)
    assert err.value.code == "resident_erased"
    again = handlers.handle(store, c.EraseResident(resident_id="r1", reason="再次", actor="h"), TODAY)
    assert again.recorded == ()
