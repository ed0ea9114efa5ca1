"""`station users add` then `issue_token`, on SQLite and PostgreSQL, as an operator
and a client would use them."""
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from shared import db
from shared.errors import Unauthorized
from shared.security import tokens
from shared.security.keys import jwt_keys
from shared.security.login import issue_token
from shared.security.users import close_users

pytestmark = pytest.mark.integration


class Station:
    """The `station` command against one data directory (and maybe one PG database)."""

    def __init__(self, data_dir, database_url=None):
        self.config = {"STATION_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "STATION_JWT_KEYS", "STATION_DATA_DIR")}
        if database_url:
            self.env["DATABASE_URL"] = database_url

    def users_add(self, *args: str, password: str = "s3cret pass\n"):
        return subprocess.run(
            [sys.executable, "-m", "station.cli", "users", "add", *args,
             "--data-dir", self.config["STATION_DATA_DIR"]],
            input=password, capture_output=True, text=True, env=self.env, timeout=120)


@pytest.fixture(params=["sqlite", "postgres"])
def station(request, tmp_path, monkeypatch):
    monkeypatch.delenv("STATION_JWT_KEYS", raising=False)
    url = request.getfixturevalue("database_url") if request.param == "postgres" else None
    yield Station(tmp_path, url)
    close_users()


def test_an_added_user_gets_a_token_carrying_their_role_and_scopes(station):
    added = station.users_add("li.na", "--role", "supervisor", "--scope", "station:xihulu-station",
                              "--scope", "street:xihulu")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"username": "li.na", "role": "supervisor",
                                        "scopes": ["station:xihulu-station", "street:xihulu"]}

    response = issue_token("li.na", "s3cret pass", station.config)
    assert response["token_type"] == "bearer" and response["expires_in"] == 3600
    who = tokens.verify(response["access_token"], jwt_keys(station.config))
    assert (who.username, who.role, who.scopes) == (
        "li.na", "supervisor", ("station:xihulu-station", "street:xihulu"))


def test_a_wrong_password_or_an_unknown_user_gets_the_same_401(station):
    assert station.users_add("li.na", "--role", "social_worker",
                             "--scope", "station:s1").returncode == 0
    errors = []
    for username, password in [("li.na", "wrong"), ("nobody", "s3cret pass")]:
        with pytest.raises(Unauthorized) as err:
            issue_token(username, password, station.config)
        errors.append(err.value.body())
    assert errors[0] == errors[1] and errors[0]["error"]["message_zh"]


def test_adding_an_existing_user_exits_2_and_changes_nothing(station):
    assert station.users_add("li.na", "--role", "social_worker",
                             "--scope", "station:s1").returncode == 0
    again = station.users_add("li.na", "--role", "district_admin", "--scope", "district:d1",
                              password="other\n")
    assert again.returncode == 2
    assert "already exists" in again.stderr and "已存在" in again.stderr
    who = tokens.verify(issue_token("li.na", "s3cret pass", station.config)["access_token"],
                        jwt_keys(station.config))
    assert who.role == "social_worker"


@pytest.mark.parametrize("args,english,chinese", [
    (["--role", "admin", "--scope", "station:s1"], "unknown role", "未知角色"),
    (["--role", "supervisor", "--scope", "xihulu"], "bad scope", "范围格式错误"),
])
def test_a_bad_role_or_scope_is_refused_in_both_languages(station, args, english, chinese):
    result = station.users_add("li.na", *args)
    assert result.returncode == 1 and result.stdout == ""
    assert english in result.stderr and chinese in result.stderr


def test_an_empty_password_is_refused(station):
    result = station.users_add("li.na", "--role", "supervisor", "--scope", "station:s1",
                               password="\n")
    assert result.returncode == 1 and "密码为空" in result.stderr
    with pytest.raises(Unauthorized):
        issue_token("li.na", "", station.config)


def test_only_the_first_line_of_stdin_is_the_password(station):
    assert station.users_add("li.na", "--role", "auditor", "--scope", "district:d1",
                             password="pass word \nsecond line\n").returncode == 0
    assert issue_token("li.na", "pass word ", station.config)["access_token"]


def test_on_postgresql_accounts_live_in_the_identity_schema(tmp_path, database_url, monkeypatch):
    monkeypatch.delenv("STATION_JWT_KEYS", raising=False)
    station = Station(tmp_path, database_url)
    assert station.users_add("li.na", "--role", "auditor", "--scope", "district:d1").returncode == 0
    engine = sa.create_engine(db.normalise_url(database_url))
    with engine.connect() as conn:
        tables = set(conn.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'identity'"
        )).scalars())
        users = conn.execute(sa.text("SELECT username FROM identity.users")).scalars().all()
    engine.dispose()
    assert {"events", "users"} <= tables and users == ["li.na"]
    assert not (tmp_path / "identity.db").exists()
