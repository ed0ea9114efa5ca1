"""`Idempotency-Key` on every POST: a repeat answers as the first did and writes nothing.

The contract (API.md, "Consistency for clients"): a POST sent again with the same key and
the same request gets the first answer (same status, same body); the same key with
another request is a 422; keys are kept at least 14 days (STATION_IDEMPOTENCY_DAYS), so a
phone that syncs after a week offline is still recognised.

How, in the service's own store (table `idempotency_keys`, one row per caller and key):

1. *Claim*: insert the row as pending, held by this attempt (`owner`). The primary key
   (caller, key) lets only one of two concurrent attempts in; the other is answered
   from the row: the stored answer, 422 for another request, or 409 while in progress.
2. *Write*: the handler runs with the claim as the worker's fence (shared.fencing): each
   append of events marks the row applied in the append's own transaction.
3. *Answer*: the answer is stored on the row. A request that wrote nothing and was
   refused (any 4xx or 5xx) is NOT stored: its row is deleted, so the client can fix the
   request and send it again under the same key (the web outbox keeps a refused item
   for the worker to fix: the fixed item keeps its key). A refused request that did write
   (the write committed, then something failed) keeps its answer: a repeat must not
   write again.

A process that died while holding a claim leaves it pending. After LEASE a repeat may
take it over if it never wrote (the fence makes the old attempt's late write fail);
one that wrote but never stored its answer is answered 409 `idempotency_answer_lost`
(look the record up: it was written), never run again.

Keys are scoped per caller (the token's user): another user's same key is another key.
POST /api/v1/auth/token ignores the header (no caller yet, and a token is never stored).
Expired rows are purged by the writes themselves (at most once a minute per process).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import uuid
import weakref
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shared.errors import ApiError, Conflict, ValidationFailed
from shared.events import iso
from shared.fencing import Fence
from shared.security.keys import service_key, setting
from shared.tables import idempotency_keys as K

HEADER = "Idempotency-Key"
MAX_KEY = 200
RETENTION_DAYS = 14.0              # STATION_IDEMPOTENCY_DAYS; the contract's minimum
LEASE = timedelta(minutes=5)       # a pending claim older than this belongs to a dead attempt
PURGE_EVERY = timedelta(minutes=1)


class KeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"
    message = ("This Idempotency-Key was used for another request: send a new key for a "
               "new request")
    message_zh = "该幂等键已用于另一个请求：新的请求请使用新的幂等键"


class InProgress(Conflict):
    code = "idempotency_in_progress"
    message = "A request with this Idempotency-Key is in progress: try again shortly"
    message_zh = "使用该幂等键的请求正在处理中，请稍后重试"


class AnswerLost(Conflict):
    code = "idempotency_answer_lost"
    message = ("The request with this Idempotency-Key was applied, but its answer was lost: "
               "look the record up instead of sending it again")
    message_zh = "使用该幂等键的请求已生效，但其应答丢失：请查询该记录，勿重复提交"


BAD_KEY = ValidationFailed(
    f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters, no space at either end",
    f"{HEADER} 须为 1 至 {MAX_KEY} 个可打印 ASCII 字符，首尾不能是空格",
    code="invalid_idempotency_key")


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


KEY_SHAPE = re.compile(r"[!-~]([ -~]*[!-~])?")   # the OpenAPI document's pattern too


def check_key(raw: str) -> str:
    """The key as sent, or a 400 in both languages: 1 to 200 printable ASCII characters,
    not starting or ending with a space."""
    if len(raw) > MAX_KEY or not KEY_SHAPE.fullmatch(raw):
        raise BAD_KEY
    return raw


def fingerprint(method: str, path: str, query: bytes, body: bytes, secret: bytes = b"") -> str:
    """What "the same request" means: the same method, path, query string and body bytes
    (a device's outbox sends again exactly the bytes it stored). Keyed with a secret kept
    outside the store (the deployment's service key): a body holding an ID number must
    not be found again from its hash by trying the few numbers a birth date leaves."""
    digest = hmac.new(hashlib.sha256(b"idempotency:" + secret).digest(), digestmod="sha256")
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


# -- the decision, pure ------------------------------------------------------------------

REPLAY, REUSED, BUSY, LOST, TAKE_OVER = "replay", "reused", "busy", "lost", "take_over"


def decide(row, print_: str, now: datetime, lease: timedelta = LEASE) -> str:
    """What a repeat gets, given the stored row of its key (fingerprint, applied, status,
    updated_at)."""
    if row.fingerprint != print_:
        return REUSED
    if row.status is not None:
        return REPLAY
    if row.updated_at > iso(now - lease):
        return BUSY
    return LOST if row.applied else TAKE_OVER


def retention() -> timedelta:
    days = float(setting(None, "STATION_IDEMPOTENCY_DAYS", str(RETENTION_DAYS)))
    return timedelta(days=max(days, RETENTION_DAYS))


# -- the store ---------------------------------------------------------------------------

class Keys:
    """One service store's idempotency keys."""

    def __init__(self, engine: sa.Engine, keep: timedelta | None = None):
        self.engine, self.keep = engine, keep or retention()
        self.purged_at: datetime | None = None
        self.secret: bytes | None = None   # the fingerprints' key, read on first use

    def claim(self, scope: str, key: str, print_: str, now: datetime) -> Fence | Answer:
        """This attempt's fence, or the answer a repeat gets (raises 422 / 409)."""
        self.purge(now)
        for _ in range(3):   # a row deleted between our insert and our read: claim again
            fence = self._insert(scope, key, print_, now)
            if fence is not None:
                return fence
            found = self._existing(scope, key, print_, now)
            if found is not None:
                return found
        raise InProgress()

    def _insert(self, scope, key, print_, now) -> Fence | None:
        owner, at = str(uuid.uuid4()), iso(now)
        try:
            with self.engine.begin() as conn:
                conn.execute(K.insert().values(scope=scope, key=key, fingerprint=print_,
                                               owner=owner, applied=0, created_at=at,
                                               updated_at=at))
        except IntegrityError:
            return None
        return Fence(self.engine, scope, key, owner)

    def _existing(self, scope, key, print_, now) -> Fence | Answer | None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(K).where(K.c.scope == scope, K.c.key == key)).first()
            if row is None:
                return None
            verdict = decide(row, print_, now)
            if verdict == REPLAY:
                return Answer(row.status, row.content_type, bytes(row.body))
            if verdict == TAKE_OVER:
                return self._take_over(conn, row, now)
        raise {REUSED: KeyReused, BUSY: InProgress, LOST: AnswerLost}[verdict]()

    def _take_over(self, conn, row, now) -> Fence:
        owner = str(uuid.uuid4())
        taken = conn.execute(K.update().where(K.c.scope == row.scope, K.c.key == row.key,
                                              K.c.owner == row.owner, K.c.applied == 0)
                             .values(owner=owner, updated_at=iso(now))).rowcount
        if taken != 1:
            raise InProgress()
        return Fence(self.engine, row.scope, row.key, owner)

    def answer(self, fence: Fence, answer: Answer, now: datetime) -> None:
        """Keep the answer for repeats."""
        with self.engine.begin() as conn:
            self._store(conn, fence, answer, now)

    def refused(self, fence: Fence, answer: Answer, now: datetime) -> None:
        """A refused request: forgotten if it wrote nothing (the client may fix it and
        send it again under the same key), else kept like any answer."""
        with self.engine.begin() as conn:
            gone = conn.execute(K.delete().where(K.c.scope == fence.scope, K.c.key == fence.key,
                                                 K.c.owner == fence.owner,
                                                 K.c.applied == 0)).rowcount
            if not gone:
                self._store(conn, fence, answer, now)

    @staticmethod
    def _store(conn, fence: Fence, answer: Answer, now: datetime) -> None:
        conn.execute(K.update().where(K.c.scope == fence.scope, K.c.key == fence.key,
                                      K.c.owner == fence.owner)
                     .values(status=answer.status, content_type=answer.content_type,
                             body=answer.body, updated_at=iso(now)))

    def purge(self, now: datetime) -> int:
        """Delete keys older than the retention; runs on writes, at most once a minute."""
        if self.purged_at is not None and now - self.purged_at < PURGE_EVERY:
            return 0
        self.purged_at = now
        with self.engine.begin() as conn:
            return conn.execute(K.delete().where(K.c.created_at < iso(now - self.keep))).rowcount


_KEYS: "weakref.WeakKeyDictionary[sa.Engine, Keys]" = weakref.WeakKeyDictionary()


def keys_of(engine: sa.Engine, config=None) -> Keys:
    """The (one per process) Keys of a store's engine, its fingerprints keyed with the
    service key of `config` (shared.security.keys)."""
    found = _KEYS.get(engine)
    if found is None:
        found = _KEYS[engine] = Keys(engine)
    if found.secret is None:
        found.secret = service_key(config).encode()
    return found
