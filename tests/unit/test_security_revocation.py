"""The per-process cache of users' standing (shared.security.revocation): a disabled
user's old tokens are refused within TTL, and a token issued after the cached look-up
asks again, so a re-enabled user's new token is never refused by a stale "disabled"
(CI on 2026-12-03: 401 on the first request after `station users enable`)."""
from __future__ import annotations

from shared.security.principal import Principal
from shared.security.revocation import Revocations
from shared.security.users import Standing


class Store:
    def __init__(self):
        self.disabled, self.asked = False, 0

    def standing(self, username: str) -> Standing:
        self.asked += 1
        return Standing(disabled=self.disabled)


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_disabled_users_old_token_is_refused_once_the_cache_runs_out():
    store, mono, wall = Store(), Clock(0.0), Clock(1000.0)
    revoked = Revocations(store, ttl=2.0, clock=mono, wall=wall)
    old = Principal("li.na", "social_worker", issued_at=900.0)
    assert revoked.admits(old)
    store.disabled = True
    mono.t, wall.t = 1.0, 1001.0
    assert revoked.admits(old) and store.asked == 1          # cached: at most TTL late
    mono.t, wall.t = 2.5, 1002.5
    assert not revoked.admits(old) and store.asked == 2


def test_a_token_issued_after_the_cached_look_up_is_asked_about_again():
    store, mono, wall = Store(), Clock(0.0), Clock(1000.0)
    revoked = Revocations(store, ttl=2.0, clock=mono, wall=wall)
    store.disabled = True
    assert not revoked.admits(Principal("li.na", "social_worker", issued_at=900.0))
    store.disabled = False                                    # `station users enable`
    mono.t, wall.t = 0.5, 1000.5
    fresh = Principal("li.na", "social_worker", issued_at=1000.4)   # logged in again
    assert revoked.admits(fresh) and store.asked == 2
    assert revoked.admits(fresh) and store.asked == 2        # then cached again
