"""Right to erasure without breaking the hash chains: crypto-shredding.

Personal fields inside events are stored encrypted with a key of their own per
resident (AES-256-GCM). The hash chain seals the ciphertext, so erasing a resident is
destroying the key: the events stay as they were (counts, cards and `verify` are
untouched) and their personal fields read as "[erased]" everywhere from then on.

    # services/<name>/events.py
    erasure.register(registry)                      # KeyDestroyed
    class ResidentRegisteredSchema(Schema):
        name = erasure.Encrypted(required=True)      # {"enc": "<base64>"} in the store
        phone = erasure.Encrypted(allow_none=True)

    # writing (inside the append's transaction)
    vault = KeyVault(store)
    payload = vault.seal(resident_id, payload, PERSONAL_FIELDS, conn=conn)
    # reading
    payload = vault.unseal(resident_id, event.payload, PERSONAL_FIELDS)
    # erasing
    vault.destroy(resident_id, actor=who.username, reason="resident request")

Keys live in the `resident_keys` table of the owning service's store, beside its
events but outside its projections (a projection rebuild must never touch them).
A destroyed key leaves a tombstone row, so nothing is sealed for that resident again.
Each service that keeps personal fields has its own vault and destroys its own key
(e.g. on the KeyDestroyed event of the residents service). Backups hold keys for as
long as they are kept: their retention bounds how long erasure takes to be complete.
"""
from __future__ import annotations

import base64
import contextlib
import binascii
import os
import weakref
from datetime import datetime
from typing import Any, Iterable, Mapping

import marshmallow
import orjson
import sqlalchemy as sa

from shared import db
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from marshmallow import fields as f

from shared.events import NewEvent, Recorded, Registry, iso, utcnow
from shared.eventstore import EventStore
from shared.security import scrub

ERASED = "[erased]"
KEY_DESTROYED = "KeyDestroyed"
_NONCE = 12


class ResidentErased(Exception):
    """The resident's key was destroyed: nothing may be sealed for them again."""


class Undecryptable(ValueError):
    """The ciphertext does not open with this key (wrong key or altered)."""


# -- sealing values (pure) -----------------------------------------------------------

def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def is_encrypted(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"enc"} and isinstance(value["enc"], str)


def encrypt_fields(payload: Mapping, fields: Iterable[str], key: bytes) -> dict:
    """A copy of `payload` with each named, non-null field replaced by {"enc": base64}.

    The field name is bound in as associated data, so a ciphertext cannot be moved
    to another field. Values are JSON-encoded first, so any JSON value round-trips.
    """
    aes, out = AESGCM(key), dict(payload)
    for name in fields:
        value = out.get(name)
        if value is not None and not is_encrypted(value):
            nonce = os.urandom(_NONCE)
            sealed = aes.encrypt(nonce, orjson.dumps(value), name.encode())
            out[name] = {"enc": base64.b64encode(nonce + sealed).decode()}
    return out


def decrypt_fields(payload: Mapping, fields: Iterable[str] | None, key: bytes | None,
                   erased: Any = ERASED) -> dict:
    """A copy with the named encrypted fields (all of them if `fields` is None) opened.

    With `key` None (destroyed) each becomes `erased`. Plain values pass unchanged.
    """
    aes, out = (AESGCM(key) if key else None), dict(payload)
    for name in (out if fields is None else fields):
        value = out.get(name)
        if is_encrypted(value):
            out[name] = erased if aes is None else _open(aes, name, value["enc"])
    return out


def _open(aes: AESGCM, name: str, text: str) -> Any:
    try:
        raw = base64.b64decode(text, validate=True)
        return orjson.loads(aes.decrypt(raw[:_NONCE], raw[_NONCE:], name.encode()))
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise Undecryptable(f"field {name!r} does not decrypt with this key") from exc


class Encrypted(f.Field):
    """Schema field for a sealed value: {"enc": "<base64>"} (null if allow_none)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not is_encrypted(value):
            raise marshmallow.ValidationError('Must be encrypted: {"enc": "<base64>"}.')
        return dict(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class EncryptedOrText(Encrypted):
    """A field sealed when its event names whose text it is, in clear when it names no one
    (shared.security.sealing's `anonymous`): {"enc": "<base64>"} or text up to `max_length`."""

    def __init__(self, max_length: int = 5000, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > self.max_length:
                raise marshmallow.ValidationError(f"Longer than {self.max_length} characters.")
            return value
        return super()._deserialize(value, attr, data, **kwargs)


# -- the event -----------------------------------------------------------------------

class KeyDestroyedSchema(marshmallow.Schema):
    resident_id = f.String(required=True)
    reason = f.String(required=True, allow_none=True)
    at = f.String(required=True)


def register(registry: Registry) -> Registry:
    """Add KeyDestroyed to a service's registry (its store must accept it)."""
    registry.register(KEY_DESTROYED, KeyDestroyedSchema)
    return registry


def stream_of(resident_id: str) -> str:
    return f"erasure-{resident_id}"


# -- the vault -----------------------------------------------------------------------

keys_metadata = sa.MetaData()
resident_keys = sa.Table(
    "resident_keys", keys_metadata,
    sa.Column("resident_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=True),        # NULL once destroyed
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("destroyed_at", sa.String(32), nullable=True),
)
_ready: "weakref.WeakSet[sa.Engine]" = weakref.WeakSet()


class KeyVault:
    """Per-resident keys in a service's own store (create, read, destroy)."""

    def __init__(self, store: EventStore):
        self.store = store
        if store.engine not in _ready:
            with store.engine.begin() as conn:   # replicas starting together
                db.ddl_lock(conn, "erasure-keys")
                keys_metadata.create_all(conn)
            scrub.install(store.engine)
            _ready.add(store.engine)

    def key(self, resident_id: str, conn: sa.Connection | None = None) -> bytes | None:
        """The resident's key, or None if there is none or it was destroyed."""
        row = self._row(resident_id, conn)
        return row.key if row is not None else None

    def entry(self, resident_id: str, conn: sa.Connection | None = None
              ) -> tuple[bytes | None, bool]:
        """(key, destroyed): (None, False) for a resident with no key yet (data written
        before sealing existed reads as it is), (None, True) once erased."""
        row = self._row(resident_id, conn)
        if row is None:
            return None, False
        return row.key, row.destroyed_at is not None

    def create(self, resident_id: str, conn: sa.Connection | None = None,
               now: datetime | None = None) -> bytes:
        """The resident's key, made now if there is none; ResidentErased if destroyed."""
        with self._tx(conn) as c:
            row = self._row(resident_id, c)
            if row is None:
                try:
                    with c.begin_nested():
                        key = new_key()
                        c.execute(resident_keys.insert().values(
                            resident_id=resident_id, key=key, created_at=iso(now or utcnow())))
                        return key
                except sa.exc.IntegrityError:  # created concurrently: use theirs
                    row = self._row(resident_id, c)
            if row.key is None:
                raise ResidentErased(resident_id)
            return row.key

    def entries(self, resident_ids: Iterable[str], conn: sa.Connection | None = None
                ) -> dict[str, tuple[bytes | None, bool]]:
        """`entry` of many residents (one read per 500), for those that have a row."""
        wanted = list(dict.fromkeys(resident_ids))
        found = {}
        query = sa.select(resident_keys.c.resident_id, resident_keys.c.key,
                          resident_keys.c.destroyed_at).where(
            resident_keys.c.resident_id.in_(sa.bindparam("ids", expanding=True)))
        with self._tx(conn) as c:
            for i in range(0, len(wanted), 500):
                for resident_id, key, destroyed_at in c.execute(query, {"ids": wanted[i:i + 500]}):
                    found[resident_id] = (key, destroyed_at is not None)
        return found

    def create_many(self, resident_ids: Iterable[str], conn: sa.Connection,
                    now: datetime | None = None) -> dict[str, bytes]:
        """Each resident's key, made now where there is none (one read per 500, one
        multi-row insert), inside the caller's transaction; ResidentErased if one was
        destroyed. A key made concurrently is taken as `create` takes it."""
        wanted = list(dict.fromkeys(resident_ids))
        found: dict[str, bytes] = {}
        query = sa.select(resident_keys.c.resident_id, resident_keys.c.key).where(
            resident_keys.c.resident_id.in_(sa.bindparam("ids", expanding=True)))
        for i in range(0, len(wanted), 500):
            for resident_id, key in conn.execute(query, {"ids": wanted[i:i + 500]}):
                if key is None:
                    raise ResidentErased(resident_id)
                found[resident_id] = key
        missing = [r for r in wanted if r not in found]
        if missing:
            made = {r: new_key() for r in missing}
            at = iso(now or utcnow())
            try:
                with conn.begin_nested():
                    conn.execute(resident_keys.insert(), [
                        {"resident_id": r, "key": k, "created_at": at} for r, k in made.items()])
                found.update(made)
            except sa.exc.IntegrityError:  # one made concurrently: one at a time
                for resident_id in missing:
                    found[resident_id] = self.create(resident_id, conn, now)
        return found

    def destroy(self, resident_id: str, actor: str | None = None, reason: str | None = None,
                conn: sa.Connection | None = None, now: datetime | None = None) -> Recorded | None:
        """Delete the key and record KeyDestroyed, in one transaction; None if done before.

        The store's files are scrubbed as that transaction ends (shared.security.scrub):
        the key's bytes, and whatever the read models overwrote with it, leave the disk."""
        now = now or utcnow()
        with self._tx(conn) as c:
            row = self._row(resident_id, c)
            if row is not None and row.destroyed_at is not None:
                return None
            scrub.request(c, now)
            if row is None:
                c.execute(resident_keys.insert().values(
                    resident_id=resident_id, key=None, created_at=iso(now), destroyed_at=iso(now)))
            else:
                c.execute(resident_keys.update().where(resident_keys.c.resident_id == resident_id)
                          .values(key=None, destroyed_at=iso(now)))
            event = NewEvent(KEY_DESTROYED, {"resident_id": resident_id, "reason": reason,
                                             "at": iso(now)}, occurred_at=now, actor=actor)
            stream = stream_of(resident_id)
            version = self.store.stream_version(stream, conn=c)
            return self.store.append(stream, version, [event], conn=c, now=now)[0]

    def seal(self, resident_id: str, payload: Mapping, fields: Iterable[str],
             conn: sa.Connection | None = None) -> dict:
        return encrypt_fields(payload, fields, self.create(resident_id, conn))

    def unseal(self, resident_id: str, payload: Mapping, fields: Iterable[str] | None = None,
               conn: sa.Connection | None = None, erased: Any = ERASED) -> dict:
        return decrypt_fields(payload, fields, self.key(resident_id, conn), erased)

    # -- helpers ---------------------------------------------------------------------

    def _row(self, resident_id: str, conn: sa.Connection | None):
        query = resident_keys.select().where(resident_keys.c.resident_id == resident_id)
        if conn is not None:
            return conn.execute(query).first()
        with self.store.engine.connect() as own:
            return own.execute(query).first()

    def _tx(self, conn: sa.Connection | None):
        # The caller's transaction is the caller's to commit.
        return contextlib.nullcontext(conn) if conn is not None else self.store.engine.begin()

