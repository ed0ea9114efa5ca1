"""The resident record: registration, updates, moves between communities and stations,
status, derived categories and the needs library (given-when-then on events, pure)."""
import dataclasses
from datetime import date, datetime, timezone

import pytest

from shared.security.lookup import keyed_hash

from services.residents import commands as c
from services.residents import configuration
from shared.kit.errors import Conflicting, Invalid, Missing
from services.residents.idnumber import check_char
from services.residents.resident import (Policy, Resident, decide, fold, id_number_claim,
                                         id_number_stream)

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
S = configuration.settings()
POLICY = Policy(rubrics=S.rubrics, schedule=S.schedule, supervisor_roles=S.supervisor_roles,
                categories=S.categories.codes, derived_categories=S.categories.derived_min_age(),
                need_categories=S.need_categories.codes, urgencies=S.urgencies.codes)


def valid_id(birth: str, seq: str = "123") -> str:
    first17 = "520102" + birth + seq
    return first17 + check_char(first17)


def register(**overrides) -> c.RegisterResident:
    fields = dict(resident_id="r1", station_id="xihulu-station", community_id="suoshixiang",
                  name="李国华", gender="male", birth_date=date(1944, 6, 1),
                  id_number=valid_id("19440601"), phone="13800000000", address="梭石巷 12 号",
                  categories=("low_income", "living_alone"),
                  household={"household_id": None, "members": [
                      {"name": "李明", "relation": "child", "resident_id": None, "phone": None,
                       "birth_date": "1970-01-01"}]},
                  actor="worker-1")
    return c.RegisterResident(**{**fields, **overrides})


def when(state, command, now=NOW):
    events = decide(state, command, now, POLICY)
    return events, fold(events, state)


def registered(**overrides) -> Resident:
    return when(Resident(), register(**overrides))[1]


def test_registration_records_the_person_with_personal_fields_inside_the_payload():
    [event], state = when(Resident(), register())
    assert event.type == "ResidentRegistered" and event.station_id == "xihulu-station"
    p = event.payload
    assert {p[k] for k in ("name", "id_number", "phone", "address")} == {
        "李国华", valid_id("19440601"), "13800000000", "梭石巷 12 号"}
    assert (p["birth_date"], p["gender"], p["community_id"]) == ("1944-06-01", "male", "suoshixiang")
    assert p["household"]["members"][0]["relation"] == "child"
    assert state.status == "active" and state.version == 1


def test_advanced_age_is_derived_from_the_birth_date_and_published_for_consumers():
    [event], state = when(Resident(), register(birth_date=date(1944, 6, 1)))  # 82
    assert event.payload["categories"] == ["advanced_age", "living_alone", "low_income"]
    assert state.categories == ("living_alone", "low_income")  # derived ones are not kept
    younger = registered(birth_date=date(1960, 1, 1), id_number=valid_id("19600101"))
    assert "advanced_age" not in younger.categories_on(date(2026, 11, 28),
                                                        POLICY.derived_categories)


def test_a_resident_turning_eighty_becomes_advanced_age_on_the_birthday():
    state = registered(birth_date=date(1946, 12, 1), id_number=valid_id("19461201"))
    derived = POLICY.derived_categories
    assert "advanced_age" not in state.categories_on(date(2026, 11, 30), derived)
    assert "advanced_age" in state.categories_on(date(2026, 12, 1), derived)


def test_advanced_age_cannot_be_claimed_for_someone_younger_than_eighty():
    with pytest.raises(Invalid) as err:
        decide(Resident(), register(birth_date=date(1960, 1, 1), id_number=valid_id("19600101"),
                                    categories=("advanced_age",)), NOW, POLICY)
    assert "categories" in err.value.fields


def test_an_unknown_category_is_refused():
    with pytest.raises(Invalid):
        decide(Resident(), register(categories=("vip",)), NOW, POLICY)


def test_an_invalid_id_number_is_refused_by_the_domain_too():
    with pytest.raises(Invalid) as err:
        decide(Resident(), register(id_number="520102194406011231"), NOW, POLICY)
    assert "id_number" in err.value.fields


def test_the_id_number_claim_keeps_the_keyed_hash_the_edge_gave_not_the_number():
    digest = keyed_hash(valid_id("19440601"), b"a-lookup-key-for-the-tests")
    claim = id_number_claim(register(id_digest=digest))
    assert claim.type == "IdNumberClaimed" and claim.payload == {"resident_id": "r1",
                                                                 "digest": digest}
    assert valid_id("19440601") not in str(claim.payload)
    assert id_number_stream(digest) == f"id-number-{digest}"


def test_a_claim_without_the_keyed_hash_is_a_programming_error():
    with pytest.raises(ValueError, match="id_digest"):
        id_number_claim(register())


def test_an_erased_resident_reads_without_derived_categories():
    erased = dataclasses.replace(registered(), birth_date="[erased]", name="[erased]")
    assert erased.categories_on(date(2026, 11, 28), POLICY.derived_categories) == [
        "living_alone", "low_income"]


def test_registering_twice_on_one_stream_is_a_conflict():
    with pytest.raises(Conflicting):
        decide(registered(), register(), NOW, POLICY)


def test_an_update_records_only_what_changed():
    events, state = when(registered(), c.UpdateResident(
        resident_id="r1", changes={"phone": "13900000000", "name": "李国华"}))
    assert [e.payload["changed"] for e in events] == [["phone"]]
    assert state.phone == "13900000000"


def test_an_update_changing_nothing_records_nothing():
    assert decide(registered(), c.UpdateResident(resident_id="r1", changes={"name": "李国华"}),
                  NOW, POLICY) == []


def test_the_id_number_birth_date_and_gender_are_not_updatable():
    with pytest.raises(Invalid) as err:
        decide(registered(), c.UpdateResident(resident_id="r1", changes={"id_number": "x"}),
               NOW, POLICY)
    assert "id_number" in err.value.fields


def test_a_move_within_the_station_changes_the_community():
    events, state = when(registered(), c.MoveResident(resident_id="r1", community_id="guanjinglu",
                                                      station_id="xihulu-station"))
    assert [e.type for e in events] == ["ResidentMoved"]
    assert state.community_id == "guanjinglu" and state.station_id == "xihulu-station"


def test_a_move_to_another_station_transfers_the_record_and_the_old_station_signs_it():
    state = registered()
    events, after = when(state, c.MoveResident(resident_id="r1", community_id="zhonghua-1",
                                               station_id="zhonghua-station", address="新地址"))
    [transfer] = events
    assert transfer.type == "ResidentTransferred" and transfer.station_id == "xihulu-station"
    assert transfer.payload["to_station_id"] == transfer.payload["station_id"] == "zhonghua-station"
    assert (after.station_id, after.community_id, after.address) == (
        "zhonghua-station", "zhonghua-1", "新地址")
    # what follows is done, and signed, by the new station
    next_events, _ = when(after, c.RecordNeed(resident_id="r1", need_id="n1", category="medical",
                                              urgency="high", description="需要陪诊"))
    assert next_events[0].station_id == "zhonghua-station"


def test_moving_to_the_same_community_is_a_conflict():
    with pytest.raises(Conflicting):
        decide(registered(), c.MoveResident(resident_id="r1", community_id="suoshixiang",
                                            station_id="xihulu-station"), NOW, POLICY)


def test_a_deceased_resident_stays_deceased():
    dead = when(registered(), c.ChangeStatus(resident_id="r1", status="deceased",
                                             effective_date=date(2026, 11, 1)))[1]
    assert dead.status == "deceased"
    with pytest.raises(Conflicting):
        decide(dead, c.ChangeStatus(resident_id="r1", status="active",
                                    effective_date=date(2026, 11, 2)), NOW, POLICY)


def test_a_resident_who_moved_out_can_come_back():
    gone = when(registered(), c.ChangeStatus(resident_id="r1", status="moved_out",
                                             effective_date=date(2026, 11, 1)))[1]
    back = when(gone, c.ChangeStatus(resident_id="r1", status="active",
                                     effective_date=date(2026, 11, 20)))[1]
    assert back.status == "active"


def test_commands_on_an_unknown_resident_are_not_found():
    with pytest.raises(Missing):
        decide(Resident(), c.UpdateResident(resident_id="nope", changes={"name": "x"}), NOW, POLICY)


# -- needs library ----------------------------------------------------------------------------

def test_a_need_is_recorded_in_the_residents_community_and_then_met():
    events, state = when(registered(), c.RecordNeed(
        resident_id="r1", need_id="n1", category="daily_care", urgency="urgent",
        description="独居，需要助餐"))
    assert events[0].payload["community_id"] == "suoshixiang"
    assert state.needs["n1"].status == "open"
    events, state = when(state, c.MeetNeed(resident_id="r1", need_id="n1", note="已链接助餐点"))
    assert [e.type for e in events] == ["NeedMet"] and state.needs["n1"].status == "met"
    with pytest.raises(Conflicting):
        decide(state, c.WithdrawNeed(resident_id="r1", need_id="n1", reason="重复"), NOW, POLICY)


def test_a_need_outside_the_configured_vocabulary_is_refused_per_field():
    with pytest.raises(Invalid) as err:
        decide(registered(), c.RecordNeed(resident_id="r1", need_id="n1", category="yacht",
                                          urgency="whenever", description=" "), NOW, POLICY)
    assert set(err.value.fields) == {"category", "urgency", "description"}


def test_withdrawing_a_need_needs_a_reason_and_an_unknown_need_is_not_found():
    state = when(registered(), c.RecordNeed(resident_id="r1", need_id="n1", category="legal",
                                            urgency="low", description="咨询遗产问题"))[1]
    with pytest.raises(Invalid):
        decide(state, c.WithdrawNeed(resident_id="r1", need_id="n1", reason=""), NOW, POLICY)
    with pytest.raises(Missing):
        decide(state, c.MeetNeed(resident_id="r1", need_id="n2"), NOW, POLICY)
