"""User accounts: argon2 password hashes in an event-sourced store of their own.

The identity store is a store like a service's: `{data_dir}/identity.db` on SQLite,
schema `identity` on PostgreSQL. Its events (UserAdded, PasswordChanged,
UserDisabled, UserEnabled, on the stream `user-<username>`; the log-in events of
shared.security.throttle) are the audit trail of every account change; the `users`,
`token_floors` and `login_tallies` tables are projections of them, rebuildable.

    users = open_users(config)            # cached per database, safe to call per request
    users.add("li.na", "s3cret", "social_worker", ["station:xihulu-station"])
    user = users.authenticate("li.na", "s3cret")     # None if wrong, unknown or disabled
    users.disable("li.na"); users.standing("li.na").admits(token_iat)   # False from now
"""
from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime, timedelta
from typing import Iterable, Mapping

import argon2
import marshmallow
import orjson
import sqlalchemy as sa
from marshmallow import fields as f

from shared.events import NewEvent, Recorded, Registry
from shared.eventstore import ConcurrencyError, EventStore
from shared.security import throttle
from shared.security.principal import (InvalidPrincipal, Principal, check_role, check_scopes,
                                       check_username)
from shared.stores import open_store

SERVICE = "identity"

# -- events ----------------------------------------------------------------------------


class UserAddedSchema(marshmallow.Schema):
    username = f.String(required=True)
    role = f.String(required=True)
    scopes = f.List(f.String(), required=True)
    password_hash = f.String(required=True)


class PasswordChangedSchema(marshmallow.Schema):
    username = f.String(required=True)
    password_hash = f.String(required=True)


class UserDisabledSchema(marshmallow.Schema):
    username = f.String(required=True)
    reason = f.String(load_default=None, allow_none=True)


class UserEnabledSchema(marshmallow.Schema):
    username = f.String(required=True)


registry = Registry()
registry.register("UserAdded", UserAddedSchema)
registry.register("PasswordChanged", PasswordChangedSchema)
registry.register("UserDisabled", UserDisabledSchema)
registry.register("UserEnabled", UserEnabledSchema)
throttle.register(registry)        # LoginFailed, LoginSucceeded, AccountLocked, AddressLocked

# -- passwords (pure) ------------------------------------------------------------------

_hasher = argon2.PasswordHasher()
_dummy_hash: list[str] = []


def hash_password(password: str) -> str:
    if not password:
        raise InvalidPrincipal("the password is empty", "密码不能为空")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists: an unknown user (None) is checked
    against a dummy hash, so timing does not tell which user names exist."""
    known = password_hash is not None
    if not known:
        if not _dummy_hash:
            _dummy_hash.append(_hasher.hash("no such user"))
        password_hash = _dummy_hash[0]
    try:
        return _hasher.verify(password_hash, password) and known
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


# -- state -----------------------------------------------------------------------------

class UserExists(Exception):
    def __init__(self, username: str):
        super().__init__(f"user {username!r} already exists / 用户 {username!r} 已存在")
        self.username = username


class UnknownUser(Exception):
    def __init__(self, username: str):
        super().__init__(f"no user {username!r} / 用户 {username!r} 不存在")


@dataclasses.dataclass(frozen=True)
class User:
    username: str
    role: str
    scopes: tuple[str, ...]
    disabled: bool = False
    password_hash: str = dataclasses.field(default="", repr=False)

    def principal(self) -> Principal:
        return Principal(self.username, self.role, self.scopes)


metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),        # JSON list
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
)
# Tokens issued before `not_before` (a password change or a disabling) are refused, even
# once the account is enabled again. A table of its own, so existing stores gain it.
token_floors = sa.Table(
    "token_floors", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("not_before", sa.String(40), nullable=False),
)


@dataclasses.dataclass(frozen=True)
class Standing:
    """What a verified token's holder still is: enabled or not, and since when their
    tokens count (epoch seconds to the microsecond, as tokens' iat; 0 if always)."""
    disabled: bool
    not_before: float = 0

    def admits(self, issued_at: float | None) -> bool:
        return not self.disabled and (issued_at or 0) >= self.not_before


def apply(conn: sa.Connection, event: Recorded,
          window: timedelta = throttle.Policy.window) -> None:
    """Fold one identity event into the users table (log-in events into login_tallies,
    counted in windows of `window`)."""
    if event.type in throttle.EVENTS:
        return throttle.apply(conn, event, window)
    p, row = event.payload, users.c.username == event.payload["username"]
    if event.type == "UserAdded":
        conn.execute(users.insert().values(
            username=p["username"], role=p["role"], scopes=orjson.dumps(p["scopes"]).decode(),
            password_hash=p["password_hash"], disabled=False))
    elif event.type == "PasswordChanged":
        conn.execute(users.update().where(row).values(password_hash=p["password_hash"]))
        _raise_floor(conn, p["username"], event.occurred_at)
    elif event.type == "UserDisabled":
        conn.execute(users.update().where(row).values(disabled=True))
        _raise_floor(conn, p["username"], event.occurred_at)
    elif event.type == "UserEnabled":
        conn.execute(users.update().where(row).values(disabled=False))


def _raise_floor(conn: sa.Connection, username: str, at: str) -> None:
    floor = token_floors.c.username == username
    if conn.execute(token_floors.update().where(floor).values(not_before=at)).rowcount == 0:
        conn.execute(token_floors.insert().values(username=username, not_before=at))


def _stream(username: str) -> str:
    return f"user-{username}"


# -- the store -------------------------------------------------------------------------

class UserStore:
    def __init__(self, store: EventStore):
        self.store = store

    def add(self, username: str, password: str, role: str, scopes: Iterable[str],
            actor: str | None = None, now: datetime | None = None) -> User:
        """UserExists if taken; InvalidPrincipal (bilingual) for a bad name, role or scope."""
        username, role = check_username(username), check_role(role)
        scopes = check_scopes(scopes)
        event = NewEvent("UserAdded", {"username": username, "role": role, "scopes": list(scopes),
                                       "password_hash": hash_password(password)}, actor=actor)
        try:
            self._append(username, 0, event, now)
        except ConcurrencyError:
            raise UserExists(username) from None
        return self.get(username)

    def change_password(self, username: str, password: str, actor: str | None = None) -> None:
        event = NewEvent("PasswordChanged", {"username": username,
                                             "password_hash": hash_password(password)}, actor=actor)
        self._append(username, self._version(username), event)

    def disable(self, username: str, reason: str | None = None, actor: str | None = None) -> None:
        """The account can no longer log in, and its tokens stop working (see Standing)."""
        event = NewEvent("UserDisabled", {"username": username, "reason": reason}, actor=actor)
        self._append(username, self._version(username), event)

    def enable(self, username: str, actor: str | None = None) -> None:
        """The account may log in again; tokens from before it was disabled stay refused."""
        self._append(username, self._version(username),
                     NewEvent("UserEnabled", {"username": username}, actor=actor))

    def standing(self, username: str) -> Standing | None:
        """Disabled or not, and the floor of its tokens; None for a name we do not hold."""
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(users.c.disabled, token_floors.c.not_before)
                               .select_from(users.outerjoin(
                                   token_floors, token_floors.c.username == users.c.username))
                               .where(users.c.username == username)).first()
        if row is None:
            return None
        floor = datetime.fromisoformat(row.not_before).timestamp() if row.not_before else 0
        return Standing(bool(row.disabled), floor)

    def get(self, username: str) -> User | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(users.select().where(users.c.username == username)).first()
        if row is None:
            return None
        return User(row.username, row.role, tuple(orjson.loads(row.scopes)), bool(row.disabled),
                    row.password_hash)

    def authenticate(self, username: str, password: str, offload=None) -> User | None:
        """The user if the password is right and the account enabled, else None.

        `offload(fn, *args)` runs the hashing (a service passes a thread pool's, so
        argon2 never holds up its event loop); by default it runs here."""
        user = self.get(username) if username else None
        run = offload or (lambda fn, *args: fn(*args))
        ok = run(verify_password, user.password_hash if user else None, password or "")
        return user if ok and user is not None and not user.disabled else None

    def history(self, username: str) -> list[Recorded]:
        return self.store.read_stream(_stream(username))

    def rebuild(self, window: timedelta = throttle.Policy.window) -> None:
        """Delete the projections and fold every identity event again."""
        self.store.sequence()
        with self.store.engine.begin() as conn:
            conn.execute(users.delete())
            conn.execute(token_floors.delete())
            conn.execute(throttle.tallies.delete())
            after = 0
            while batch := self.store.read_all(after, 1000, conn=conn):
                for event in batch:
                    apply(conn, event, window)
                after = batch[-1].position

    def _version(self, username: str) -> int:
        version = self.store.stream_version(_stream(username))
        if version == 0:
            raise UnknownUser(username)
        return version

    def _append(self, username: str, expected: int, event: NewEvent, now=None) -> None:
        with self.store.engine.begin() as conn:
            for recorded in self.store.append(_stream(username), expected, [event], conn=conn,
                                              now=now):
                apply(conn, recorded)


_open: dict[tuple, UserStore] = {}
_lock = threading.Lock()


def open_users(config: Mapping) -> UserStore:
    """The identity store named by config (DATABASE_URL, STATION_DATA_DIR), opened once
    per process: the first call migrates it."""
    from shared.security.keys import data_dir
    key = (config.get("DATABASE_URL") or None, str(data_dir(config).absolute()))
    with _lock:
        if key not in _open:
            _open[key] = UserStore(_first_open({"DATABASE_URL": key[0],
                                                "STATION_DATA_DIR": key[1]}))
        return _open[key]


def _first_open(where: Mapping, attempts: int = 3) -> EventStore:
    """Every service checks tokens against this store, so several processes may create
    its tables at once: the loser of that race (table already exists) simply tries again."""
    for attempt in range(attempts):
        try:
            store = open_store(SERVICE, where, registry, metadata)
            throttle.metadata.create_all(store.engine)
            return store
        except sa.exc.DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def close_users() -> None:
    """Dispose of every identity store opened by open_users (tests, shutdown)."""
    with _lock:
        for user_store in _open.values():
            user_store.store.engine.dispose()
        _open.clear()
