"""Log-in throttling in the running residents service: wrong passwords lock the account
(429 in both languages, the right password refused too) until the policy's time has
passed; and bad log-ins hashing concurrently do not stall the service's other requests."""
from __future__ import annotations

import statistics
import threading
import time

import pytest

from tests.support.auth import PASSWORD, People, call
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

STATION = "station:xihulu-station"


def start(services, service_env, **policy) -> tuple[str, People]:
    service_env.update({f"STATION_LOGIN_{k.upper()}": str(v) for k, v in policy.items()})
    services.start("residents")
    return services.url("residents"), People(service_env)


def log_in(base: str, username: str, password: str) -> tuple[int, dict]:
    return call(base, "POST", "/api/v1/auth/token", {"username": username, "password": password})


def test_wrong_passwords_lock_the_account_and_the_lock_ends_as_the_policy_says(
        services, service_env):
    base, people = start(services, service_env, account_failures=3, lock_s=8)
    people.add("li.na", "social_worker", STATION)
    for _ in range(3):
        assert log_in(base, "li.na", "wrong")[0] == 401
    status, body = log_in(base, "li.na", PASSWORD)           # the right one, while locked
    assert status == 429, body
    error = body["error"]
    assert error["code"] == "login_locked" and error["locked"] == "account"
    assert "locked until" in error["message"] and "已锁定" in error["message_zh"]
    assert 1 <= error["retry_after"] <= 8
    assert wait_until(lambda: log_in(base, "li.na", PASSWORD)[0] == 200, timeout=40,
                      every=0.5, what="the lock to end")
    types = [e.type for e in people.users.store.read_stream("login-li.na")]
    assert types == ["LoginFailed"] * 3 + ["AccountLocked", "LoginSucceeded"]
    people.close()


def test_concurrent_bad_log_ins_do_not_stall_other_requests(services, service_env):
    base, people = start(services, service_env, account_failures=100000,
                         address_failures=100000)
    token = people.token(base, "head-a", "station_head", STATION)

    def timed_get() -> float:
        started = time.monotonic()
        status, body = call(base, "GET", "/api/v1/residents", token=token)
        assert status == 200, body
        return time.monotonic() - started

    quiet = [timed_get() for _ in range(5)]
    stop, answers = threading.Event(), []

    def attacker(n: int) -> None:
        deadline = time.monotonic() + 60                  # bounded even if the test fails
        while not stop.is_set() and time.monotonic() < deadline:
            answers.append(log_in(base, f"guess{n}", "wrong")[0])

    attackers = [threading.Thread(target=attacker, args=(n,)) for n in range(8)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(0.5)                                   # let the hashing get going
        loaded, until = [], time.monotonic() + 60
        while (len(loaded) < 15 or answers.count(401) < 2) and time.monotonic() < until:
            loaded.append(timed_get())                    # until passwords were really checked
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=90)
    print(f"GET /residents quiet median {statistics.median(quiet):.3f} s; under 8 bad log-ins "
          f"median {statistics.median(loaded):.3f} s, max {max(loaded):.3f} s; "
          f"log-in answers {sorted(set(answers))} x{len(answers)}")
    assert answers.count(401) >= 2                         # passwords were really checked
    assert set(answers) <= {401, 429}                     # 429: more at once than it hashes
    # Generous, as the host may be busy with other work: the issue saw 7 ms -> 896 ms.
    assert statistics.median(loaded) < max(0.5, 3 * statistics.median(quiet))
    assert max(loaded) < 2.0
    people.close()
