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
    def __init__(self, users: UserStore, ttl: float = TTL, clock=time.monotonic):
        self.users, self.ttl, self.clock = users, ttl, clock
        self._seen: dict[str, tuple[float, Standing | None]] = {}
        self._lock = threading.Lock()

    def admits(self, who: Principal) -> bool:
        standing = self._standing(who.username)
        return standing is None or standing.admits(who.issued_at)

    def _standing(self, username: str) -> Standing | None:
        now = self.clock()
        with self._lock:
            hit = self._seen.get(username)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        standing = self.users.standing(username)
        with self._lock:
            if len(self._seen) > 10_000:          # bounded: forget everyone, ask again
                self._seen.clear()
            self._seen[username] = (now, standing)
        return standing
