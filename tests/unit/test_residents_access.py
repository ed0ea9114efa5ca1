"""Who sees what in the residents service (pure): the organisation tree cut to a caller's
scope, the stations a list may show, and the masks a view gets."""
import pytest

from shared.security.principal import Principal

from services.residents import access, org, privacy
from services.residents.cards import Schedule

SEED = {"districts": [{"id": "nanming", "name": "南明区", "streets": [
    {"id": "xihulu", "name": "西湖路街道", "stations": [
        {"id": "s-a", "name": "A", "communities": [{"id": "c-a", "name": "社区A"}]},
        {"id": "s-a2", "name": "A2", "communities": []}]},
    {"id": "zhonghua", "name": "中华南路街道", "stations": [
        {"id": "s-b", "name": "B", "communities": [{"id": "c-b", "name": "社区B"}]}]}]},
    {"id": "yunyan", "name": "云岩区", "streets": [
        {"id": "yy", "name": "云岩街道", "stations": [{"id": "s-y", "name": "Y", "communities": []}]}]}]}
TREE = org.fold(org.seed_events(SEED))


def who(role: str, *scopes: str) -> Principal:
    return Principal("someone", role, scopes)


def shape(tree: dict) -> dict:
    return {d["id"]: {s["id"]: [st["id"] for st in s["stations"]] for s in d["streets"]}
            for d in tree["districts"]}


def test_a_station_worker_sees_their_station_and_the_street_and_district_above_it():
    assert shape(access.tree_for(TREE, who("social_worker", "station:s-a"), Schedule())) == {
        "nanming": {"xihulu": ["s-a"]}}


def test_a_street_leader_sees_every_station_of_the_street():
    assert shape(access.tree_for(TREE, who("street_leader", "street:xihulu"), Schedule())) == {
        "nanming": {"xihulu": ["s-a", "s-a2"]}}


def test_a_district_administrator_sees_the_whole_district_and_no_other():
    assert shape(access.tree_for(TREE, who("district_admin", "district:nanming"), Schedule())) == {
        "nanming": {"xihulu": ["s-a", "s-a2"], "zhonghua": ["s-b"]}}


def test_lists_show_only_the_stations_in_scope():
    assert access.stations_in_scope(TREE, who("social_worker", "station:s-a", "station:s-b")) == [
        "s-a", "s-b"]
    assert access.stations_in_scope(TREE, who("partner_office", "street:elsewhere")) == []


def test_a_community_or_station_outside_the_scope_is_as_unseen_as_an_unknown_one():
    worker = who("social_worker", "station:s-a")
    assert access.can_see_community(TREE, worker, "c-a")
    assert not access.can_see_community(TREE, worker, "c-b")
    assert not access.can_see_community(TREE, worker, "nowhere")
    assert not access.can_see_station(TREE, worker, "s-b")
    assert not access.can_see_district(TREE, worker, "nanming")  # a station scope covers no district
    assert access.can_see_street(TREE, who("district_admin", "district:nanming"), "zhonghua")


def test_the_404_bodies_do_not_depend_on_why():
    assert access.resident_not_found().body() == access.resident_not_found().body()
    assert access.node_not_found("station").body()["error"]["code"] == "station_not_found"


@pytest.mark.parametrize("text,ok", [("3f1c-uuid-like", True), ("xihulu-station", True),
                                     ("", False), ("a/b", False), ("a\x00b", False),
                                     ("x" * 101, False), ("王", False)])
def test_only_well_formed_ids_reach_the_store(text, ok):
    assert access.well_formed(text) is ok


def test_masking_reaches_household_members_and_leaves_erased_fields_alone():
    view = {"id_number": "520102193805020122", "phone": "13985000000",
            "household": {"members": [{"name": "王小明", "phone": "13700000001"}]},
            "address": "南明堂社区"}
    assert privacy.for_role(view, pii=True) == view
    assert privacy.for_role(view, pii=False) == {
        "id_number": "5201**********0122", "phone": "139****0000",
        "household": {"members": [{"name": "王小明", "phone": "137****0001"}]},
        "address": "南明堂社区"}
    assert privacy.mask_deep({"id_number": "[erased]", "phone": None}) == {
        "id_number": "[erased]", "phone": None}


def test_the_access_trail_names_the_personal_fields_shown_in_clear():
    assert privacy.fields_in_clear(pii=True, erased=False) == [
        "name", "id_number", "phone", "address", "birth_date", "household"]
    assert privacy.fields_in_clear(pii=False, erased=False) == [
        "name", "address", "birth_date", "household"]
    assert privacy.fields_in_clear(pii=True, erased=True) == []
