"""Log-in throttling against the identity store, on SQLite and PostgreSQL, with the clock
given: wrong passwords lock the account (the right one refused too), the lock ends as the
policy says and the next one lasts longer; guesses across accounts lock the address;
every failure and lock is an event."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.errors import Unauthorized
from shared.security.login import issue_token
from shared.security.throttle import TooManyAttempts
from shared.security.users import close_users, open_users

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
KEYS = "k1:a-signing-secret-for-the-throttle-tests-0123456789"


def make_config(tmp_path, url=None):
    config = {"STATION_DATA_DIR": str(tmp_path), "DATABASE_URL": url, "STATION_JWT_KEYS": KEYS,
              "STATION_LOGIN_ACCOUNT_FAILURES": "5", "STATION_LOGIN_ADDRESS_FAILURES": "8",
              "STATION_LOGIN_LOCK_S": "60", "STATION_LOGIN_MAX_LOCK_S": "3600"}
    open_users(config).add("li.na", "right password", "social_worker", ["station:s1"])
    return config


@pytest.fixture
def config(tmp_path):
    """SQLite (argon2 is slow on purpose: the PostgreSQL run is kept to the first test)."""
    yield make_config(tmp_path)
    close_users()


@pytest.fixture(params=["sqlite", "postgres"])
def both(request, tmp_path):
    url = request.getfixturevalue("database_url") if request.param == "postgres" else None
    yield make_config(tmp_path, url)
    close_users()


def log_in(config, password, at, username="li.na", address="198.51.100.7"):
    return issue_token(username, password, config, now=at, address=address)


def test_wrong_passwords_lock_the_account_until_the_policy_lets_it_go(both):
    config = both
    for i in range(5):
        with pytest.raises(Unauthorized):
            log_in(config, "wrong", T0 + timedelta(seconds=i))
    with pytest.raises(TooManyAttempts) as err:            # the right password, while locked
        log_in(config, "right password", T0 + timedelta(seconds=30))
    assert err.value.status == 429 and err.value.extra["locked"] == "account"
    assert "已锁定" in err.value.message_zh

    unlocked = T0 + timedelta(seconds=4 + 60)
    assert log_in(config, "right password", unlocked)["access_token"]

    events = [(e.type, e.payload) for e in open_users(config).store.read_stream("login-li.na")]
    assert [t for t, _ in events] == ["LoginFailed"] * 5 + ["AccountLocked", "LoginSucceeded"]
    assert events[0][1] == {"username": "li.na", "address": "198.51.100.7"}
    assert datetime.fromisoformat(events[5][1]["until"]) == T0 + timedelta(seconds=4 + 60)


def test_the_next_lock_lasts_twice_as_long(config):
    for i in range(5):
        with pytest.raises(Unauthorized):
            log_in(config, "wrong", T0 + timedelta(seconds=i))
    later, elsewhere = T0 + timedelta(minutes=2), "203.0.113.9"   # first lock (60 s) over
    for i in range(5):
        with pytest.raises(Unauthorized):
            log_in(config, "wrong", later + timedelta(seconds=i), address=elsewhere)
    with pytest.raises(TooManyAttempts):
        log_in(config, "right password", later + timedelta(seconds=4 + 119), address=elsewhere)
    assert log_in(config, "right password", later + timedelta(seconds=4 + 120), address=elsewhere)


def test_a_good_log_in_clears_the_accounts_count(config):
    for i in range(4):
        with pytest.raises(Unauthorized):
            log_in(config, "wrong", T0 + timedelta(seconds=i))
    assert log_in(config, "right password", T0 + timedelta(seconds=5))
    with pytest.raises(Unauthorized):                      # one more is the first of a new count
        log_in(config, "wrong", T0 + timedelta(seconds=6))
    assert log_in(config, "right password", T0 + timedelta(seconds=7))


def test_guesses_across_many_names_lock_the_address_and_not_the_others(config):
    for i in range(8):                                     # unknown names count too
        with pytest.raises(Unauthorized):
            log_in(config, "guess", T0 + timedelta(seconds=i), username=f"user{i}")
    with pytest.raises(TooManyAttempts) as err:
        log_in(config, "right password", T0 + timedelta(seconds=10))
    assert err.value.extra["locked"] == "address"
    assert log_in(config, "right password", T0 + timedelta(seconds=10), address="203.0.113.9")
    store = open_users(config).store
    assert [e.type for e in store.read_stream("address-198.51.100.7")] == ["AddressLocked"]
    assert [e.type for e in store.read_stream("login-user3")] == ["LoginFailed"]


def test_an_unknown_name_is_locked_like_a_real_one(config):
    for i in range(5):
        with pytest.raises(Unauthorized):
            log_in(config, "x", T0 + timedelta(seconds=i), username="nobody")
    with pytest.raises(TooManyAttempts):
        log_in(config, "x", T0 + timedelta(seconds=6), username="nobody")


def test_the_counts_rebuild_from_the_events(config):
    for i in range(5):
        with pytest.raises(Unauthorized):
            log_in(config, "wrong", T0 + timedelta(seconds=i))
    open_users(config).rebuild()
    with pytest.raises(TooManyAttempts):
        log_in(config, "right password", T0 + timedelta(seconds=30))
