"""The log-in throttle's pure parts: windows, locks with backoff, the 429's words, and
which address a log-in is counted against."""
from datetime import datetime, timedelta, timezone

from shared.security.login import client_address
from shared.security.throttle import (ACCOUNT, ADDRESS, Policy, Tally, TooManyAttempts,
                                      decide)

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
POLICY = Policy(account_failures=3, address_failures=5, window=timedelta(minutes=10),
                first_lock=timedelta(minutes=1), max_lock=timedelta(minutes=5))


def failures(n: int, every: timedelta = timedelta(seconds=1), tally: Tally = Tally()) -> Tally:
    for i in range(n):
        tally = tally.failed(T0 + i * every, POLICY.window)
    return tally


def test_failures_count_within_the_window_and_start_over_after_it():
    assert failures(3).failures == 3
    assert failures(3, every=timedelta(minutes=6)).failures == 1   # each outside the last window


def test_the_limit_th_failure_locks_for_the_first_lock_and_not_one_before():
    assert decide(failures(2), ACCOUNT, "li.na", POLICY, T0) is None
    lock = decide(failures(3), ACCOUNT, "li.na", POLICY, T0)
    assert lock.type == "AccountLocked" and lock.payload["key"] == "li.na"
    assert datetime.fromisoformat(lock.payload["until"]) == T0 + timedelta(minutes=1)
    assert decide(failures(4), ADDRESS, "10.0.0.9", POLICY, T0) is None
    assert decide(failures(5), ADDRESS, "10.0.0.9", POLICY, T0).type == "AddressLocked"


def test_each_further_lock_doubles_up_to_the_cap_and_the_backoff_forgets_after_a_day():
    assert [POLICY.lock_for(n) for n in range(5)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 5, 5)]
    locked_twice = Tally().lock(T0).lock(T0 + timedelta(minutes=3))
    soon = T0 + timedelta(minutes=10)
    lock = decide(failures(3, tally=locked_twice), ACCOUNT, "li.na", POLICY, soon)
    assert datetime.fromisoformat(lock.payload["until"]) == soon + timedelta(minutes=4)
    much_later = T0 + timedelta(days=2)
    lock = decide(failures(3, tally=locked_twice), ACCOUNT, "li.na", POLICY, much_later)
    assert datetime.fromisoformat(lock.payload["until"]) == much_later + timedelta(minutes=1)


def test_a_lock_holds_until_its_end_and_clears_the_count():
    tally = failures(3).lock(T0 + timedelta(minutes=1))
    assert tally.failures == 0
    assert tally.locked(T0 + timedelta(seconds=59))
    assert not tally.locked(T0 + timedelta(minutes=1))


def test_the_429_says_until_when_in_both_languages():
    err = TooManyAttempts(ACCOUNT, T0 + timedelta(seconds=90), T0)
    body = err.body()["error"]
    assert err.status == 429 and body["code"] == "login_locked"
    assert "02:01:30 UTC" in body["message"] and "90 s" in body["message"]
    assert "已锁定" in body["message_zh"] and "90 秒" in body["message_zh"]
    assert body["retry_after"] == 90 and body["locked"] == "account"


def test_policy_from_configuration_text():
    policy = Policy.from_config({"STATION_LOGIN_ACCOUNT_FAILURES": "7",
                                 "STATION_LOGIN_LOCK_S": "2.5", "DATABASE_URL": None})
    assert policy.account_failures == 7 and policy.first_lock == timedelta(seconds=2.5)
    assert policy.address_failures == 20 and policy.window == timedelta(minutes=15)


def test_the_address_is_the_peer_unless_a_trusted_proxy_forwarded_it():
    assert client_address("203.0.113.5", "198.51.100.1", {}) == "203.0.113.5"   # not a proxy
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.1", {}) == "198.51.100.1"
    assert client_address("127.0.0.1", "not-an-address", {}) == "127.0.0.1"
    assert client_address("10.0.0.2", "198.51.100.1",
                          {"STATION_TRUSTED_PROXIES": "10.0.0.2"}) == "198.51.100.1"
    assert client_address(None, None, {}) == "unknown"
