"""Tokens that stop working before they expire: a disabled account's, and those issued
before its password was last changed (shared.security.users.Standing).

A token is a signature, checked without a database; whether its holder is still in
good standing is one look-up in the identity store, kept per process for TTL seconds,
so a disabled user's tokens stop working within seconds everywhere and a busy service
asks the store about each user at most once every TTL seconds.

    revoked = Revocations(open_users(config))
    if not revoked.admits(principal):   # principal.issued_at from the token's iat
        raise Unauthorized(...)

A user the identity store does not hold (a token signed elsewhere with our keys, as
tests do) is admitted: the signature already vouches for it, and there is nothing to
revoke.
"""
from __future__ import annotations

import threading
import time

from shared.security.principal import Principal
from shared.security.users import Standing, UserStore

TTL = 2.0


class Revocations:
    def __init__(self, users: UserStore, ttl: float = TTL, clock=time.monotonic,
                 wall=time.time):
        self.users, self.ttl, self.clock, self.wall = users, ttl, clock, wall
        # username -> (asked at: monotonic, asked at: epoch seconds, standing)
        self._seen: dict[str, tuple[float, float, Standing | None]] = {}
        self._lock = threading.Lock()

    def admits(self, who: Principal) -> bool:
        standing = self._standing(who.username, who.issued_at)
        return standing is None or standing.admits(who.issued_at)

    def _standing(self, username: str, issued_at: float | None = None) -> Standing | None:
        """The cached standing, unless it is older than TTL or than the token: a token
        issued after the look-up was issued to an account in good standing then (log-in
        reads the store), so a re-enabled user's new token is never refused by a
        "disabled" still cached (CI run 4 of 2026-12-03: 401 just after `users enable`)."""
        now = self.clock()
        with self._lock:
            hit = self._seen.get(username)
        if hit is not None and now - hit[0] < self.ttl and (issued_at or 0) <= hit[1]:
            return hit[2]
        asked_at = self.wall()
        standing = self.users.standing(username)
        with self._lock:
            if len(self._seen) > 10_000:          # bounded: forget everyone, ask again
                self._seen.clear()
            self._seen[username] = (now, asked_at, standing)
        return standing
