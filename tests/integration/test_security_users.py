"""The identity store on SQLite and PostgreSQL: accounts as events, a users projection."""
import pytest

from shared.security.principal import InvalidPrincipal, Principal
from shared.security.users import UnknownUser, UserExists, close_users, open_users

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def config(request, tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path), "DATABASE_URL": None}
    if request.param == "postgres":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    yield config
    close_users()


def test_an_added_user_authenticates_with_their_password(config):
    users = open_users(config)
    users.add("li.na", "s3cret pass", "social_worker", ["station:xihulu-station"])
    user = users.authenticate("li.na", "s3cret pass")
    assert user.principal() == Principal("li.na", "social_worker", ("station:xihulu-station",))
    assert users.authenticate("li.na", "wrong") is None
    assert users.authenticate("nobody", "s3cret pass") is None


def test_the_password_is_kept_only_as_an_argon2_hash(config):
    users = open_users(config)
    users.add("li.na", "s3cret pass", "social_worker", ["station:s1"])
    (added,) = users.history("li.na")
    assert added.type == "UserAdded" and added.payload["password_hash"].startswith("$argon2id$")
    assert "s3cret pass" not in str(added.payload)


def test_a_second_user_of_the_same_name_is_refused_and_the_first_kept(config):
    users = open_users(config)
    users.add("li.na", "first", "social_worker", ["station:s1"])
    with pytest.raises(UserExists):
        users.add("li.na", "second", "district_admin", ["district:nanming"])
    assert users.get("li.na").role == "social_worker"
    assert users.authenticate("li.na", "first") is not None


def test_bad_roles_and_scopes_write_nothing(config):
    users = open_users(config)
    with pytest.raises(InvalidPrincipal):
        users.add("li.na", "pw", "admin", ["station:s1"])
    with pytest.raises(InvalidPrincipal):
        users.add("li.na", "pw", "supervisor", ["xihulu"])
    assert users.get("li.na") is None and users.history("li.na") == []


def test_a_changed_password_replaces_the_old_one(config):
    users = open_users(config)
    users.add("li.na", "old", "supervisor", ["station:s1"])
    users.change_password("li.na", "new", actor="ops")
    assert users.authenticate("li.na", "old") is None
    assert users.authenticate("li.na", "new") is not None


def test_a_disabled_user_can_no_longer_log_in(config):
    users = open_users(config)
    users.add("li.na", "pw", "supervisor", ["station:s1"])
    users.disable("li.na", reason="left the station", actor="ops")
    assert users.authenticate("li.na", "pw") is None
    assert users.get("li.na").disabled


def test_changing_an_unknown_user_is_an_error(config):
    with pytest.raises(UnknownUser):
        open_users(config).disable("nobody")


def test_every_account_change_is_a_hash_chained_event(config):
    users = open_users(config)
    users.add("li.na", "pw", "supervisor", ["station:s1", "station:s2"], actor="ops")
    users.change_password("li.na", "pw2", actor="ops")
    users.disable("li.na", actor="ops")
    assert [e.type for e in users.history("li.na")] == ["UserAdded", "PasswordChanged",
                                                        "UserDisabled"]
    assert {e.actor for e in users.history("li.na")} == {"ops"}
    assert users.store.verify() == []


def test_the_users_table_rebuilds_from_the_events(config):
    users = open_users(config)
    users.add("li.na", "pw", "supervisor", ["station:s1"])
    users.add("wang", "pw", "street_leader", ["street:xihulu"])
    users.disable("wang")
    before = (users.get("li.na"), users.get("wang"))
    users.rebuild()
    assert (users.get("li.na"), users.get("wang")) == before


def test_the_store_is_opened_once_per_database(config):
    assert open_users(dict(config)) is open_users(dict(config))
