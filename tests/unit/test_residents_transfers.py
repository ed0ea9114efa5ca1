"""Transfers between stations, given-when-then on events (pure: no I/O).

The owning station offers the record (TransferOffered: ids only, the reason sealed
later by the handler); the receiving station accepts (ResidentTransferred, which moves
the record and its history) or declines (TransferDeclined). Nobody of the sending
station answers its own offer, and an offer is answered once.
"""
import pytest

from services.residents import commands as c
from shared.kit.errors import Conflicting, Invalid, NotAllowed
from services.residents.events import PERSONAL_FIELDS, ResidentTransferred, TransferOffered
from services.residents.resident import Resident, decide, fold

from tests.unit.test_residents_cards import NOW, POLICY, registered

A, B, C = "xihulu-station", "zh-station", "other-station"


def when(state: Resident, command):
    return decide(state, command, NOW, POLICY)


def offer(transfer_id="t1", to_station=B, to_community="zh-1", reason="随女儿搬到中华南路",
          actor="worker-a"):
    return c.OfferTransfer(resident_id="r1", transfer_id=transfer_id, to_station_id=to_station,
                           to_community_id=to_community, reason=reason, actor=actor)


def accept(transfer_id="t1", stations=(B,), actor="head-b"):
    return c.AcceptTransfer(resident_id="r1", transfer_id=transfer_id,
                            acceptor_stations=frozenset(stations), actor=actor)


def decline(transfer_id="t1", stations=(B,), reason="不在本站辖区", actor="head-b"):
    return c.DeclineTransfer(resident_id="r1", transfer_id=transfer_id, reason=reason,
                             acceptor_stations=frozenset(stations), actor=actor)


def offered() -> Resident:
    state = registered()
    return fold(when(state, offer()), state)


def test_the_owning_station_offers_a_transfer_with_ids_and_no_personal_data():
    [event] = when(registered(), offer())
    assert event.type == "TransferOffered" and event.station_id == A
    assert event.payload == {"resident_id": "r1", "station_id": A, "transfer_id": "t1",
                             "from_station_id": A, "from_community_id": "nanmingtang",
                             "to_station_id": B, "to_community_id": "zh-1",
                             "reason": "随女儿搬到中华南路", "offered_by": "worker-a"}
    assert not set(PERSONAL_FIELDS) & set(event.payload)
    assert set(event.payload) == set(TransferOffered().fields)


def test_an_offer_leaves_the_record_with_the_sending_station_until_accepted():
    state = offered()
    assert (state.station_id, state.community_id) == (A, "nanmingtang")
    assert state.offer.transfer_id == "t1" and state.offer.to_station_id == B


def test_the_receiving_station_accepts_and_the_record_moves_as_a_transfer():
    state = offered()
    [event] = when(state, accept())
    assert event.type == "ResidentTransferred" and event.actor == "head-b"
    p = event.payload
    assert (p["station_id"], p["to_station_id"], p["from_station_id"]) == (B, B, A)
    assert (p["community_id"], p["from_community_id"]) == ("zh-1", "nanmingtang")
    assert (p["transfer_id"], p["accepted_by"]) == ("t1", "head-b")
    assert set(p) <= set(ResidentTransferred().fields)
    after = fold([event], state)
    assert (after.station_id, after.community_id, after.offer) == (B, "zh-1", None)
    assert after.name == state.name and after.card == state.card   # the record goes along


def test_the_receiving_station_declines_and_the_record_stays():
    state = offered()
    [event] = when(state, decline())
    assert event.type == "TransferDeclined" and event.station_id == B
    assert event.payload["reason"] == "不在本站辖区" and event.payload["declined_by"] == "head-b"
    after = fold([event], state)
    assert (after.station_id, after.community_id, after.offer) == (A, "nanmingtang", None)
    assert when(after, offer("t2", to_station=C, to_community="c-1"))[0].type == "TransferOffered"


@pytest.mark.parametrize("answer", [accept, decline])
def test_nobody_of_the_sending_station_answers_its_own_offer(answer):
    with pytest.raises(NotAllowed) as err:
        when(offered(), answer(stations=(A, B), actor="head-ab"))
    assert err.value.code == "sending_station"
    with pytest.raises(NotAllowed):
        when(offered(), answer(stations=(A,), actor="head-a"))


@pytest.mark.parametrize("answer", [accept, decline])
def test_a_third_station_cannot_answer_an_offer_to_another(answer):
    with pytest.raises(NotAllowed) as err:
        when(offered(), answer(stations=(C,), actor="head-c"))
    assert err.value.code == "receiving_station_required"


def test_a_second_accept_is_a_conflict():
    state = offered()
    accepted = fold(when(state, accept()), state)
    with pytest.raises(Conflicting) as err:
        when(accepted, accept())
    assert err.value.code == "transfer_not_pending"


def test_an_answered_offer_cannot_be_declined_or_accepted_again():
    state = offered()
    declined = fold(when(state, decline()), state)
    for answer in (accept(), decline()):
        with pytest.raises(Conflicting):
            when(declined, answer)


def test_an_answer_naming_another_transfer_is_a_conflict():
    with pytest.raises(Conflicting):
        when(offered(), accept(transfer_id="t9"))


def test_a_second_offer_or_a_move_waits_for_the_first_answer():
    state = offered()
    with pytest.raises(Conflicting) as err:
        when(state, offer("t2", to_station=C, to_community="c-1"))
    assert err.value.code == "transfer_pending" and err.value.extra["transfer_id"] == "t1"
    with pytest.raises(Conflicting):
        when(state, c.MoveResident(resident_id="r1", community_id="yunyan", station_id=A))


def test_an_offer_to_the_residents_own_station_is_invalid():
    with pytest.raises(Invalid) as err:
        when(registered(), offer(to_station=A, to_community="nanmingtang"))
    assert "to_station_id" in err.value.fields


def test_an_offer_needs_a_written_reason():
    with pytest.raises(Invalid) as err:
        when(registered(), offer(reason=" "))
    assert "reason" in err.value.fields


def test_an_unknown_or_inactive_resident_cannot_be_offered():
    with pytest.raises(Exception) as err:
        when(Resident(), offer())
    assert err.value.code == "resident_not_found"
    state = registered()
    gone = fold(when(state, c.ChangeStatus(resident_id="r1", status="deceased",
                                           effective_date=NOW.date(), actor="worker-a")), state)
    with pytest.raises(Conflicting):
        when(gone, offer())


def test_a_resident_who_died_while_offered_cannot_be_accepted_but_can_be_declined():
    state = offered()
    gone = fold(when(state, c.ChangeStatus(resident_id="r1", status="deceased",
                                           effective_date=NOW.date(), actor="worker-a")), state)
    with pytest.raises(Conflicting):
        when(gone, accept())
    assert when(gone, decline())[0].type == "TransferDeclined"
