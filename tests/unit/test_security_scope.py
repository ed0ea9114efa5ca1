"""Station isolation: what each scope covers, and 404 (never 403) outside it."""
import pytest

from shared.errors import Forbidden, NotFound
from shared.security.principal import Principal
from shared.security.scope import (can_see_district, can_see_station, can_see_street, org_from,
                                   require_station, visible, visible_stations)

# Nanming district: Xihulu street (two stations), Zhonghua street (one); Yunyan district.
ORG = org_from({
    "xihulu-station": ("xihulu", "nanming"),
    "xihulu-annex": ("xihulu", "nanming"),
    "zhonghua-station": ("zhonghua", "nanming"),
    "yunyan-station": ("baoshan", "yunyan"),
})
WORKER = Principal("li.na", "social_worker", ("station:xihulu-station",))
STREET = Principal("wang", "street_leader", ("street:xihulu",))
DISTRICT = Principal("zhao", "district_admin", ("district:nanming",))
RESIDENT = {"id": "r1", "station_id": "zhonghua-station"}


def test_a_station_scope_covers_its_own_station_only():
    assert can_see_station(WORKER, "xihulu-station", ORG)
    assert not can_see_station(WORKER, "xihulu-annex", ORG)


def test_a_street_scope_covers_every_station_of_the_street():
    assert can_see_station(STREET, "xihulu-station", ORG)
    assert can_see_station(STREET, "xihulu-annex", ORG)
    assert not can_see_station(STREET, "zhonghua-station", ORG)


def test_a_district_scope_covers_the_stations_of_its_streets():
    assert visible_stations(DISTRICT, ["xihulu-station", "zhonghua-station", "yunyan-station"],
                            ORG) == ["xihulu-station", "zhonghua-station"]


def test_a_station_the_org_tree_does_not_know_is_outside_every_wider_scope():
    assert not can_see_station(DISTRICT, "nowhere", ORG)
    assert not can_see_station(WORKER, None, ORG)


def test_several_scopes_add_up():
    both = Principal("chen", "supervisor", ("station:xihulu-station", "street:baoshan"))
    assert visible_stations(both, ["xihulu-station", "xihulu-annex", "yunyan-station"],
                            ORG) == ["xihulu-station", "yunyan-station"]


def test_a_station_scope_needs_no_org_lookup():
    def no_org(_station):
        raise AssertionError("looked up")
    assert can_see_station(WORKER, "xihulu-station", no_org)
    assert not can_see_station(WORKER, "other", no_org)


def test_streets_and_districts_are_seen_from_above_only():
    assert can_see_street(STREET, "xihulu", "nanming")
    assert can_see_street(DISTRICT, "zhonghua", "nanming")
    assert not can_see_street(WORKER, "xihulu", "nanming")
    assert can_see_district(DISTRICT, "nanming")
    assert not can_see_district(STREET, "nanming")


def test_a_record_in_scope_is_returned_as_is():
    assert visible(RESIDENT, DISTRICT, ORG) is RESIDENT


def test_a_record_of_another_station_is_not_found_rather_than_forbidden():
    with pytest.raises(NotFound) as err:
        visible(RESIDENT, WORKER, ORG)
    assert not isinstance(err.value, Forbidden) and err.value.status == 404


def test_out_of_scope_and_missing_give_the_same_answer():
    not_found = NotFound("Resident not found", "未找到该居民")
    with pytest.raises(NotFound) as outside:
        visible(RESIDENT, WORKER, ORG, not_found)
    with pytest.raises(NotFound) as missing:
        visible(None, WORKER, ORG, not_found)
    assert outside.value.body() == missing.value.body()


def test_a_command_for_another_station_is_not_found():
    with pytest.raises(NotFound):
        require_station(STREET, "zhonghua-station", ORG)
    require_station(STREET, "xihulu-annex", ORG)
