"""The keyed hash of an ID number, for the partner lookup (match without storing or returning it).

    key = keys.lookup_key(config)              # STATION_LOOKUP_KEY or {data_dir}/lookup-key
    digest = keyed_hash("52010219500101123x", key)

A plain SHA-256 of an 18-digit ID number is reversible by enumeration (birth dates and
region codes are few); an HMAC with a secret key is not, without the key.
"""
from __future__ import annotations

import hashlib
import hmac


def normalise_id_number(id_number: str) -> str:
    """The canonical form both sides hash: no spaces, upper-case check letter X."""
    return "".join(id_number.split()).upper()


def keyed_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised ID number, as 64 hex digits."""
    if not key:
        raise ValueError("empty lookup key")
    return hmac.new(key, normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()
