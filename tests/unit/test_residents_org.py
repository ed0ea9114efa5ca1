"""The organisation tree is data: seeded from config/org_seed.json with fixed event ids,
grown by commands, and checked (parents exist, ids and sibling names are unique)."""
import pytest

from services.residents import commands as c
from services.residents import configuration, org
from services.residents.cards import Schedule
from shared.kit.errors import Conflicting, Invalid

SEED = org.seed_events(configuration.org_seed())


def seeded() -> org.OrgTree:
    return org.fold(SEED)


def when(tree, command):
    events = org.decide(tree, command)
    return events, org.fold(events, tree)


def test_the_seed_is_nanming_xihulu_its_station_and_seven_communities():
    tree = seeded().describe()
    [district] = tree["districts"]
    assert (district["id"], district["name"]) == ("nanming", "南明区")
    [street] = district["streets"]
    assert (street["id"], street["name"]) == ("xihulu", "西湖路街道")
    [station] = street["stations"]
    assert (station["id"], station["name"]) == ("xihulu-station", "西湖路街道社工站")
    assert [c["id"] for c in station["communities"]] == [
        "nanmingtang", "guanfengtai", "xihulu", "suoshixiang", "guanjinglu",
        "shengshihuacheng", "dongshengxiang"]
    assert station["communities"][0]["name"] == "南明堂社区"


def test_seed_events_have_fixed_ids_so_a_second_seeding_adds_nothing():
    again = org.seed_events(configuration.org_seed())
    assert [e.event_id for e in again] == [e.event_id for e in SEED]
    assert org.missing_seed_events(again, {e.event_id for e in SEED}) == []


def test_station_and_community_events_carry_their_station():
    by_type = {e.type: e for e in SEED}
    assert by_type["CommunityAdded"].station_id == "xihulu-station"
    assert by_type["StationAdded"].station_id == "xihulu-station"
    assert by_type["StreetAdded"].station_id is None


def test_a_district_rollout_adds_a_street_a_station_and_communities():
    tree = seeded()
    _, tree = when(tree, c.AddStreet(street_id="zhonghua", district_id="nanming", name="中华南路街道"))
    _, tree = when(tree, c.AddStation(station_id="zhonghua-station", street_id="zhonghua",
                                      name="中华南路街道社工站"))
    events, tree = when(tree, c.AddCommunity(community_id="zh-1", station_id="zhonghua-station",
                                             name="一社区"))
    assert events[0].station_id == "zhonghua-station"
    assert tree.station_of("zh-1") == "zhonghua-station"
    assert tree.station_of("nanmingtang") == "xihulu-station"


def test_a_node_under_an_unknown_parent_is_refused_on_that_field():
    with pytest.raises(Invalid) as err:
        org.decide(seeded(), c.AddStation(station_id="s2", street_id="nowhere", name="站"))
    assert "street_id" in err.value.fields


def test_ids_are_unique_per_kind_and_names_unique_among_siblings():
    with pytest.raises(Conflicting):
        org.decide(seeded(), c.AddCommunity(community_id="nanmingtang",
                                            station_id="xihulu-station", name="别名"))
    with pytest.raises(Conflicting) as err:
        org.decide(seeded(), c.AddCommunity(community_id="nmt2", station_id="xihulu-station",
                                            name="南明堂社区"))
    assert err.value.extra["existing_id"] == "nanmingtang"


def test_a_malformed_id_is_refused():
    with pytest.raises(Invalid):
        org.decide(seeded(), c.AddStreet(street_id="Bad Id!", district_id="nanming", name="x"))


def test_a_station_sets_its_own_reassessment_rhythm():
    _, tree = when(seeded(), c.SetReassessmentSchedule(
        station_id="xihulu-station", months={"red": 1, "blue": 2, "green": 6}))
    assert tree.schedule_for("xihulu-station", Schedule()) == Schedule(red=1, blue=2, green=6)
    assert tree.schedule_for("elsewhere", Schedule()) == Schedule()
    station = tree.describe()["districts"][0]["streets"][0]["stations"][0]
    assert station["reassessment_months"] == {"red": 1, "blue": 2, "green": 6}


def test_a_rhythm_outside_one_to_thirty_six_months_is_refused():
    with pytest.raises(Invalid) as err:
        org.decide(seeded(), c.SetReassessmentSchedule(
            station_id="xihulu-station", months={"red": 0, "blue": 3, "green": 48}))
    assert set(err.value.fields) == {"red", "green"}
