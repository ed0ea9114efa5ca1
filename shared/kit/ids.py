"""New ids, made at the edge and passed into decide (which stays deterministic), and ids
derived from the event that caused them (a redelivered cause derives the same ids)."""
from __future__ import annotations

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def derived_id(namespace: uuid.UUID, *parts: str) -> str:
    return str(uuid.uuid5(namespace, ":".join(parts)))
