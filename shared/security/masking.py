"""Masking of ID numbers and phones: in lists and exports always, in a single record
unless the caller's role may read personal data (`residents.read_pii`).

    mask_id_number("520102195001011234") -> "5201**********1234"
    mask_phone("13812345678")            -> "138****5678"
    mask_phone("[erased]")               -> "[erased]"   (the placeholder, never masked)
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from shared.security.erasure import ERASED
from shared.security.principal import Principal

PII_ACTION = "residents.read_pii"


def _mask(value: str | None, head: int, tail: int) -> str | None:
    if value is None or value == ERASED:  # erased data shows as erased, not as a number
        return value
    value = str(value)
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]


def mask_id_number(value: str | None) -> str | None:
    return _mask(value, 4, 4)


def mask_phone(value: str | None) -> str | None:
    return _mask(value, 3, 4)


MASKS: dict[str, Callable[[str | None], str | None]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
}


def mask_record(record: Mapping) -> dict:
    """A copy with every personal field masked (lists, exports)."""
    return {k: MASKS[k](v) if k in MASKS else v for k, v in record.items()}


def masked(record: Mapping, principal: Principal) -> dict:
    """A copy masked unless the principal may read personal data (a single record)."""
    return dict(record) if principal.may(PII_ACTION) else mask_record(record)


def mask_all(records: Iterable[Mapping]) -> list[dict]:
    return [mask_record(r) for r in records]
