"""Signed events: what a service publishes carries its Ed25519 signature.

Why: the hash chain (shared.hashchain) catches an edited event only if the editor does
not recompute the hashes after it. Someone with database access can, so each event's
hash is also *signed* with its service's private key, which is never in the store: a
rewritten chain keeps verifying as a chain but its signatures no longer match.

- At rest: `events.signature` = sign(b"station-event\\0" + hash), made when the event is
  appended (EventStore.signer). `station events verify` checks it (first_unsealed).
- In transit: the relay sends that signature and a *delivery* signature over (store id,
  position, hash) in the message (body and headers), so a genuine event replayed at
  another position is refused as surely as a forged one. Consumers (shared.inbox) check
  both before they apply anything (check_envelope) and park what fails, with the reason.
- A signature reads "<key id>:<base64 signature>". Every key id belongs to one service;
  a signature by another service's key is refused.

Keys (shared.security.keys conventions: configuration or environment first, else dev
files in the data directory, mode 0600):

    STATION_SIGNING_KEY_<SERVICE>   kid:base64(raw 32-byte private key)   that service only
    STATION_SIGNING_PUBLIC_KEYS     service:kid:base64(raw public key),…   every consumer

Without them, `{data_dir}/signing-keys/<service>.key` is generated once and its public
key added to `<service>.pub` (one "kid:base64" line per key ever used, so events signed
before a rotation still verify). Rotation: docs/security.md.

Events stored before signing existed have no signature: verify reports them as
"unsigned" and consumers park them, until an operator adopts them with
`station events sign-legacy` (chains checked first; see adopt_legacy).
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import pathlib
import threading
from typing import Mapping, Sequence

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared import hashchain
from shared.security.keys import data_dir, dev_secret_file, setting

KEY_DIR = "signing-keys"
PUBLIC_KEYS = "STATION_SIGNING_PUBLIC_KEYS"


def private_key_setting(service: str) -> str:
    return f"STATION_SIGNING_KEY_{service.upper()}"


class Rejected(Exception):
    """An event whose signatures do not hold: applied nowhere, parked with this reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(service: str, public_raw: bytes) -> str:
    """A readable, stable id: the service and a digest of its public key."""
    return f"{service}-{hashlib.sha256(public_raw).hexdigest()[:12]}"


def at_rest_message(hash_: str) -> bytes:
    return b"station-event\x00" + hash_.encode()


def delivery_message(store_id: str | None, position: int | None, hash_: str) -> bytes:
    return f"station-delivery\x00{store_id}\x00{position}\x00{hash_}".encode()


# -- signing (one service's private key) ------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Signer:
    service: str
    kid: str
    key: Ed25519PrivateKey

    def sign(self, message: bytes) -> str:
        return f"{self.kid}:{_b64(self.key.sign(message))}"

    def seal(self, hash_: str) -> str:
        """The signature stored with an event (over its hash)."""
        return self.sign(at_rest_message(hash_))

    def deliver(self, store_id: str | None, position: int | None, hash_: str) -> str:
        """The signature a message carries over where the event sits in its store."""
        return self.sign(delivery_message(store_id, position, hash_))

    @property
    def public_line(self) -> str:
        return f"{self.kid}:{_b64(_public_raw(self.key.public_key()))}"


def new_private_line(service: str) -> str:
    """A fresh key as "kid:base64(private)" (the env variable's value, the dev file's text)."""
    key = Ed25519PrivateKey.generate()
    kid = key_id(service, _public_raw(key.public_key()))
    return f"{kid}:{_b64(key.private_bytes_raw())}"


def parse_private(service: str, text: str) -> Signer:
    kid, _, raw = text.strip().partition(":")
    key = Ed25519PrivateKey.from_private_bytes(_unb64(raw))
    return Signer(service, kid, key)


def signer_for(service: str, config: Mapping | None) -> Signer:
    """This service's signer: from its setting, else its dev key file (made once).

    In dev mode the public key is added to `<service>.pub` so consumers find it."""
    configured = setting(config, private_key_setting(service))
    if configured:
        return parse_private(service, configured)
    folder = data_dir(config) / KEY_DIR
    signer = parse_private(service, dev_secret_file(folder / f"{service}.key",
                                                    lambda: new_private_line(service) + "\n"))
    _publish_dev_public(folder / f"{service}.pub", signer.public_line)
    return signer


def _publish_dev_public(path: pathlib.Path, line: str) -> None:
    known = path.read_text().split() if path.exists() else []
    if line not in known:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644), "a") as out:
            out.write(line + "\n")


# -- verifying (every service's public keys) -------------------------------------------

class Keyring:
    """Public keys by key id, each bound to the service it signs for.

    From STATION_SIGNING_PUBLIC_KEYS when set; else the dev files of the data directory,
    read again when a signature names a key not known yet and the files changed since they
    were read (a stat of each, never a timer: a source that made its key a moment after
    this consumer started must verify at once, or its first events would be parked).
    """

    def __init__(self, config: Mapping | None = None):
        self.configured = setting(config, PUBLIC_KEYS)
        self.folder = data_dir(config) / KEY_DIR
        self._keys: dict[str, tuple[str, Ed25519PublicKey]] = {}
        self._lock = threading.Lock()
        self._seen = self._files()   # stat before reading: a later write is read again
        self._load()

    def _load(self) -> None:
        entries: list[tuple[str, str, str]] = []
        if self.configured:
            for item in filter(None, (i.strip() for i in self.configured.split(","))):
                service, kid, raw = item.split(":", 2)
                entries.append((service, kid, raw))
        elif self.folder.is_dir():
            for path in sorted(self.folder.glob("*.pub")):
                for line in path.read_text().split():
                    kid, _, raw = line.partition(":")
                    entries.append((path.stem, kid, raw))
        self._keys = {kid: (service, Ed25519PublicKey.from_public_bytes(_unb64(raw)))
                      for service, kid, raw in entries}

    def _files(self) -> tuple:
        """What the dev key files are now (name, size, mtime): changed means read again."""
        if not self.folder.is_dir():
            return ()
        return tuple((p.name, st.st_size, st.st_mtime_ns) for p in sorted(self.folder.glob("*.pub"))
                     for st in [p.stat()])

    def _key(self, kid: str) -> tuple[str, Ed25519PublicKey] | None:
        found = self._keys.get(kid)
        if found is None and not self.configured:
            with self._lock:
                files = self._files()
                if files != self._seen:
                    self._seen = files
                    self._load()
            found = self._keys.get(kid)
        return found

    def problem(self, service: str, signature: str | None, message: bytes) -> str | None:
        """Why `signature` is not `service`'s signature of `message`, or None if it is."""
        if not signature:
            return "unsigned"
        kid, _, raw = str(signature).partition(":")
        found = self._key(kid)
        if found is None:
            return f"unknown signing key {kid[:80]!r}"  # the sender chose it: bounded
        owner, public = found
        if owner != service:
            return f"signed with a key of {owner}, not of {service}"
        try:
            public.verify(_unb64(raw), message)
        except (InvalidSignature, ValueError):
            return "bad signature"
        return None


def check_envelope(keyring: Keyring, source: str, envelope: Mapping,
                   delivered: bool = True) -> None:
    """Raise Rejected unless the envelope is an event `source` stored and signed.

    The hash is recomputed from the envelope (a genuine signature on a forged body fails
    here), then the signature over it is checked; a delivered message must also carry
    the delivery signature over its store id and position. Catch-up reads over RPC
    (`delivered=False`) carry no position signature: they come from the source itself.
    """
    try:
        recomputed = hashchain.chain(str(envelope.get("prev_hash")), envelope)
    except (KeyError, TypeError) as exc:
        raise Rejected(f"not an event envelope: {exc}") from None
    if recomputed != envelope.get("hash"):
        raise Rejected("hash does not match the event")
    problem = keyring.problem(source, envelope.get("signature"),
                              at_rest_message(envelope["hash"]))
    if problem is None and delivered:
        problem = keyring.problem(
            source, envelope.get("delivery_signature"),
            delivery_message(envelope.get("store_id"), envelope.get("position"),
                             envelope["hash"]))
        if problem is not None:
            problem = f"delivery: {problem}"
    if problem is not None:
        raise Rejected(problem)


def first_unsealed(service: str, keyring: Keyring, stream: Sequence[Mapping]) -> dict | None:
    """The first event of one hash-sound stream whose signature fails, or None.

    Used by EventStore.verify after the hash chain check, so a chain rewritten with its
    hashes recomputed is still caught, and named. The head's signature is checked first:
    as the chain holds, the head's hash commits to every event before it, so a good head
    signature vouches for the whole stream (one check per stream, not per event). Only
    a stream whose head fails is searched for the first event that fails."""
    if not stream or _seal_problem(service, keyring, stream[-1]) is None:
        return None
    for event in stream:
        problem = _seal_problem(service, keyring, event)
        if problem is not None:
            return {"stream_id": event["stream_id"], "version": event["stream_version"],
                    "event_id": event["event_id"],
                    "problem": "unsigned" if problem == "unsigned" else "bad signature",
                    "detail": problem}
    return None


def _seal_problem(service: str, keyring: Keyring, event: Mapping) -> str | None:
    return keyring.problem(service, event.get("signature"), at_rest_message(event["hash"]))


def adopt_legacy(store, signer: Signer) -> int:
    """Sign the events stored before signing existed; returns how many were signed.

    An explicit operator step (`station events sign-legacy`), never automatic: if a
    service signed unsigned events by itself, stripping the signatures off a rewritten
    chain would get it signed again. Refuses while any hash chain is broken.
    """
    broken = store.verify()
    if broken:
        raise ValueError(f"hash chains broken, nothing signed: {broken}")
    count = 0
    with store.engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, hash FROM events WHERE signature IS NULL "
                                    "ORDER BY id")).fetchall()
        for row_id, hash_ in rows:
            conn.execute(sa.text("UPDATE events SET signature = :s WHERE id = :i"),
                         {"s": signer.seal(hash_), "i": row_id})
            count += 1
    return count
