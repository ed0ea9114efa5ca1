"""The one permission table, and the docs rendered from it."""
import pathlib

import pytest

from shared.security import roles
from shared.security.principal import Principal

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_there_are_the_seven_roles_of_the_contract():
    assert set(roles.ROLES) == {"social_worker", "supervisor", "station_head", "street_leader",
                                "district_admin", "auditor", "partner_office"}


def test_every_permission_names_only_known_roles():
    for action, (allowed, en, zh) in roles.PERMISSIONS.items():
        assert allowed and allowed <= set(roles.ROLES), action
        assert en and zh, action


def test_roll_ups_are_for_street_and_district_roles_only():
    assert roles.PERMISSIONS["reports.rollup"][0] == {"street_leader", "district_admin"}


def test_only_station_staff_see_unmasked_personal_data():
    assert roles.PERMISSIONS["residents.read_pii"][0] == {"social_worker", "supervisor",
                                                          "station_head"}


def test_a_partner_office_may_only_look_people_up():
    assert roles.actions_of("partner_office") == ["partner.lookup"]


def test_card_overrides_need_a_supervisor_or_the_station_head():
    assert not roles.allowed("social_worker", "card.override")
    assert roles.allowed("supervisor", "card.override")
    assert roles.allowed("station_head", "card.confirm_downgrade")


def test_the_auditor_reads_the_access_trail_but_writes_nothing():
    assert roles.allowed("auditor", "audit.read")
    assert not [a for a in roles.actions_of("auditor") if a.endswith((".write", ".register"))]


def test_a_principal_may_what_its_role_may():
    assert Principal("wang", "street_leader", ("street:xihulu",)).may("reports.rollup")
    assert not Principal("li", "social_worker", ("station:s1",)).may("reports.rollup")


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError, match="unknown action"):
        roles.allowed("supervisor", "residents.delete")


def test_the_rendered_table_has_a_row_per_action_and_a_column_per_role():
    text = roles.render_markdown()
    for action in roles.PERMISSIONS:
        assert f"| `{action}` |" in text
    header = next(line for line in text.splitlines() if line.startswith("| action"))
    assert header.count("`") == 2 * len(roles.ROLES)


def test_the_security_doc_is_in_sync_with_the_permission_table():
    block = roles.doc_block(DOC.read_text(encoding="utf-8"))
    assert block == roles.render_markdown(), (
        "docs/security.md is stale: run `python -m shared.security.roles docs/security.md`")


def test_sync_doc_rewrites_only_the_generated_block(tmp_path):
    doc = tmp_path / "security.md"
    doc.write_text(f"# Intro\n\n{roles.DOC_START}\nold table\n{roles.DOC_END}\n\n## After\n",
                   encoding="utf-8")
    assert roles.sync_doc(doc) is True
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Intro\n") and text.endswith("## After\n")
    assert roles.doc_block(text) == roles.render_markdown()
    assert roles.sync_doc(doc) is False
