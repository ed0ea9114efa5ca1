"""Log-in throttling: failures counted per account and per address, locks with backoff.

Every failed log-in is a `LoginFailed` event in the identity store (stream
`login-<username>`, whether or not the user exists, so a lock tells nobody which names
are real); reaching the policy's count within its window appends `AccountLocked` (or
`AddressLocked`, stream `address-<address>`) with the time it ends. Each further lock
of the same account or address lasts twice as long as the one before, up to
`max_lock`; the doubling starts over after a day without a lock. A right password
appends `LoginSucceeded` (only if failures or locks were on record), which clears the
account's count and backoff; never the address's, so one good account does not launder an address's guesses.
While locked, even the right password is refused with 429, before any hashing.

The counts are a projection (`login_tallies`) folded from those events; the decision is
pure (`decide`), the store side (`Throttle`) thin.
"""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone
from typing import Mapping

import marshmallow
import sqlalchemy as sa
from marshmallow import fields as f

from shared.errors import ApiError
from shared.events import NewEvent, Recorded, Registry, iso
from shared.eventstore import ConcurrencyError, EventStore

ACCOUNT, ADDRESS = "account", "address"
BACKOFF_RESET = timedelta(days=1)

# -- policy ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Policy:
    """How many failures within `window` lock an account or an address, and for how long.

    From the configuration (environment): STATION_LOGIN_ACCOUNT_FAILURES (5),
    STATION_LOGIN_ADDRESS_FAILURES (20), STATION_LOGIN_WINDOW_S (900),
    STATION_LOGIN_LOCK_S (60, the first lock), STATION_LOGIN_MAX_LOCK_S (3600)."""

    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_lock: timedelta = timedelta(minutes=1)
    max_lock: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping) -> "Policy":
        def get(key: str, default):
            value = config.get(key)
            return type(default)(value) if value not in (None, "") else default
        return cls(get("STATION_LOGIN_ACCOUNT_FAILURES", cls.account_failures),
                   get("STATION_LOGIN_ADDRESS_FAILURES", cls.address_failures),
                   timedelta(seconds=get("STATION_LOGIN_WINDOW_S", 900.0)),
                   timedelta(seconds=get("STATION_LOGIN_LOCK_S", 60.0)),
                   timedelta(seconds=get("STATION_LOGIN_MAX_LOCK_S", 3600.0)))

    def limit(self, kind: str) -> int:
        return self.account_failures if kind == ACCOUNT else self.address_failures

    def lock_for(self, previous_locks: int) -> timedelta:
        """The first lock, doubled for each earlier one, never past max_lock."""
        return min(self.first_lock * (2 ** min(previous_locks, 30)), self.max_lock)


# -- state (pure) ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Tally:
    """One account's or address's standing: failures in the current window, locks."""

    failures: int = 0
    window_start: datetime | None = None
    locks: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def failed(self, at: datetime, window: timedelta) -> "Tally":
        if self.window_start is None or at - self.window_start >= window:
            return dataclasses.replace(self, failures=1, window_start=at)
        return dataclasses.replace(self, failures=self.failures + 1)

    def lock(self, until: datetime) -> "Tally":
        return Tally(0, None, self.locks + 1, until)

    def recent_locks(self, now: datetime) -> int:
        """Locks that still count for the backoff (the last one ended under a day ago)."""
        if self.locked_until is None or now - self.locked_until > BACKOFF_RESET:
            return 0
        return self.locks


def decide(tally: Tally, kind: str, key: str, policy: Policy, now: datetime) -> NewEvent | None:
    """After one more failure (already in `tally`): the lock it brings about, if any."""
    if tally.failures < policy.limit(kind):
        return None
    until = now + policy.lock_for(tally.recent_locks(now))
    return NewEvent("AccountLocked" if kind == ACCOUNT else "AddressLocked",
                    {"key": key, "until": iso(until), "failures": tally.failures})


class TooManyAttempts(ApiError):
    """429: the account or address is locked; the body says until when, in both languages."""

    status, code = 429, "login_locked"

    def __init__(self, kind: str, until: datetime, now: datetime):
        wait = max(1, math.ceil((until - now).total_seconds()))
        when = until.astimezone(timezone.utc).strftime("%H:%M:%S UTC")
        who, who_zh = (("this account", "该账号") if kind == ACCOUNT else
                       ("this address", "该地址"))
        super().__init__(
            f"Too many failed log-ins for {who}: locked until {when}; try again in {wait} s",
            f"{who_zh}登录失败次数过多，已锁定至 {when}，请 {wait} 秒后再试",
            retry_after=wait, locked=kind)


class LoginBusy(ApiError):
    """429: more log-ins at once than this process hashes; nothing was checked."""

    status, code = 429, "login_busy"
    message = "Too many log-ins at this moment; try again in a second"
    message_zh = "当前登录请求过多，请稍后再试"

    def __init__(self):
        super().__init__(retry_after=1)


# -- events and projection --------------------------------------------------------------

class AttemptSchema(marshmallow.Schema):
    """LoginFailed and LoginSucceeded: who tried, from where."""
    username = f.String(required=True)
    address = f.String(required=True)


class LockedSchema(marshmallow.Schema):
    key = f.String(required=True)
    until = f.String(required=True)
    failures = f.Integer(required=True)


def register(registry: Registry) -> Registry:
    registry.register("LoginFailed", AttemptSchema)
    registry.register("LoginSucceeded", AttemptSchema)
    registry.register("AccountLocked", LockedSchema)
    registry.register("AddressLocked", LockedSchema)
    return registry


EVENTS = frozenset({"LoginFailed", "LoginSucceeded", "AccountLocked", "AddressLocked"})
metadata = sa.MetaData()
tallies = sa.Table(
    "login_tallies", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", sa.String(40), nullable=True),
    sa.Column("locks", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.String(40), nullable=True),
)


def read_tally(conn: sa.Connection, kind: str, key: str) -> Tally:
    row = conn.execute(sa.select(tallies).where(tallies.c.kind == kind,
                                                tallies.c.key == key)).first()
    if row is None:
        return Tally()
    moment = lambda text: datetime.fromisoformat(text) if text else None  # noqa: E731
    return Tally(row.failures, moment(row.window_start), row.locks, moment(row.locked_until))


def _write(conn: sa.Connection, kind: str, key: str, tally: Tally) -> None:
    values = {"failures": tally.failures, "locks": tally.locks,
              "window_start": iso(tally.window_start) if tally.window_start else None,
              "locked_until": iso(tally.locked_until) if tally.locked_until else None}
    done = conn.execute(tallies.update().where(tallies.c.kind == kind, tallies.c.key == key)
                        .values(**values))
    if done.rowcount == 0:
        conn.execute(tallies.insert().values(kind=kind, key=key, **values))


def apply(conn: sa.Connection, event: Recorded, window: timedelta) -> None:
    """Fold one log-in event into login_tallies. The window is the policy's: a rebuild
    under another policy counts the same failures into other windows, as it should."""
    p, at = event.payload, datetime.fromisoformat(event.occurred_at)
    if event.type == "LoginFailed":
        for kind, key in ((ACCOUNT, p["username"]), (ADDRESS, p["address"])):
            _write(conn, kind, key, read_tally(conn, kind, key).failed(at, window))
    elif event.type == "LoginSucceeded":
        _write(conn, ACCOUNT, p["username"], Tally())
    elif event.type in ("AccountLocked", "AddressLocked"):
        kind = ACCOUNT if event.type == "AccountLocked" else ADDRESS
        _write(conn, kind, p["key"],
               read_tally(conn, kind, p["key"]).lock(datetime.fromisoformat(p["until"])))


# -- the store side ----------------------------------------------------------------------

class Throttle:
    """Checks and records log-in attempts in the identity store."""

    def __init__(self, store: EventStore, policy: Policy):
        self.store, self.policy = store, policy

    def check(self, username: str, address: str, now: datetime) -> None:
        """TooManyAttempts (429) if the account or the address is locked now."""
        with self.store.engine.connect() as conn:
            for kind, key in ((ACCOUNT, username), (ADDRESS, address)):
                tally = read_tally(conn, kind, key)
                if tally.locked(now):
                    raise TooManyAttempts(kind, tally.locked_until, now)

    def failed(self, username: str, address: str, now: datetime) -> None:
        """Record the failure, and the locks it brings about, in one transaction."""
        self._append(f"login-{username}", [NewEvent("LoginFailed", {
            "username": username, "address": address}, actor=username)], now, locks=True,
            username=username, address=address)

    def succeeded(self, username: str, address: str, now: datetime) -> None:
        """Clear the account's count and backoff, if it has any (no event for a clean one)."""
        with self.store.engine.connect() as conn:
            if read_tally(conn, ACCOUNT, username) == Tally():
                return
        self._append(f"login-{username}", [NewEvent("LoginSucceeded", {
            "username": username, "address": address}, actor=username)], now)

    def _append(self, stream: str, events: list[NewEvent], now: datetime, locks=False,
                username: str = "", address: str = "") -> None:
        for _ in range(20):        # concurrent attempts on one account: re-read and retry
            try:
                with self.store.engine.begin() as conn:
                    self._append_once(conn, stream, events, now)
                    if locks:
                        self._lock_if_due(conn, ACCOUNT, username, f"login-{username}", now)
                        self._lock_if_due(conn, ADDRESS, address, f"address-{address}", now)
                return
            except ConcurrencyError:
                continue
        raise ConcurrencyError(stream, -1, -1)

    def _append_once(self, conn, stream: str, events: list[NewEvent], now: datetime) -> None:
        version = self.store.stream_version(stream, conn=conn)
        for recorded in self.store.append(stream, version, events, conn=conn, now=now):
            apply(conn, recorded, self.policy.window)

    def _lock_if_due(self, conn, kind: str, key: str, stream: str, now: datetime) -> None:
        lock = decide(read_tally(conn, kind, key), kind, key, self.policy, now)
        if lock is not None:
            self._append_once(conn, stream, [dataclasses.replace(lock, actor="throttle")], now)
