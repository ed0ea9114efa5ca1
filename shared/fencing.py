"""The write of a request sent with an Idempotency-Key marks its key in the same transaction.

shared.idempotency claims a key before the handler runs and sets `Fence` for the worker
(a context variable: each eventlet green thread has its own). Every append to the event
store while a fence is set runs in a transaction that first marks the claim as applied,
on condition that this attempt still holds it. So either the events and the mark commit
together, or neither does: a crash between them cannot leave a write whose key a retry
would not know about, and an attempt whose claim was taken over (it looked dead) cannot
write at all.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from typing import Iterator

import sqlalchemy as sa

from shared.tables import idempotency_keys as K


class FenceLost(Exception):
    """This attempt no longer holds its idempotency key (another took it over): the
    write is rolled back."""


@dataclasses.dataclass
class Fence:
    engine: sa.Engine     # the store the key was claimed in; appends elsewhere are not marked
    scope: str
    key: str
    owner: str

    def mark(self, conn: sa.Connection) -> None:
        """Inside the write's transaction: the key is applied, if still ours."""
        done = conn.execute(K.update().where(K.c.scope == self.scope, K.c.key == self.key,
                                             K.c.owner == self.owner).values(applied=1))
        if done.rowcount != 1:
            raise FenceLost(self.key)


_CURRENT: contextvars.ContextVar[Fence | None] = contextvars.ContextVar("fence", default=None)


def current(engine: sa.Engine) -> Fence | None:
    """The fence the worker holds in the store of `engine`, if any."""
    fence = _CURRENT.get()
    return fence if fence is not None and fence.engine is engine else None


@contextlib.contextmanager
def holding(fence: Fence | None) -> Iterator[Fence | None]:
    token = _CURRENT.set(fence)
    try:
        yield fence
    finally:
        _CURRENT.reset(token)
