"""The tables every service's store has. Alembic migrations (shared/migrations) create them;
this module is the one description the code and the migrations share."""
from sqlalchemy import (BigInteger, Column, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, UniqueConstraint, text)

metadata = MetaData()

events = Table(
    "events", metadata,
    # Insert order; never read by subscribers (see `position`).
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("stream_id", String(200), nullable=False),
    Column("stream_version", Integer, nullable=False),
    # Dense global order, assigned after commit by the sequencer (EventStore.sequence).
    Column("position", BigInteger, nullable=True, unique=True),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("station_id", String(100), nullable=True),
    Column("occurred_at", String(32), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Column("causation_id", String(64), nullable=True),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # "<key id>:<base64 Ed25519 signature of hash>" (shared.signing); NULL before signing.
    Column("signature", String(200), nullable=True),
    UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
    Index("ix_events_unsequenced", "id", postgresql_where=text("position IS NULL"),
          sqlite_where=text("position IS NULL")),
    Index("ix_events_station_recorded", "station_id", "recorded_at"),
)

# Where each named reader (the relay, a subscriber of another service) has got to.
checkpoints = Table(
    "checkpoints", metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# Leases keep one relay per service working while others stand by.
leases = Table(
    "leases", metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", String(32), nullable=False),
)

# Events a subscriber failed to apply: retried, then parked with their error.
quarantine = Table(
    "quarantine", metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("type", String(100), nullable=False),
    Column("status", String(16), nullable=False),  # retrying | parked | held (inbox_order)
    Column("error", Text, nullable=False),
    Column("stream_id", String(200), nullable=True),
    # JSON envelope of a held event (applied once the earlier event of its stream is)
    Column("envelope", Text, nullable=True),
)

# The store's identity (a random id made when it was created): messages carry it, so a
# subscriber can tell events of this store from those of an older, replaced one.
store_meta = Table(
    "store_meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Which source store each inbox follows: its positions mean nothing for another store.
inbox_sources = Table(
    "inbox_sources", metadata,
    Column("name", String(200), primary_key=True),
    Column("store_id", String(200), nullable=False),
    # following | halted (replaced store not resynchronised: see shared.inbox)
    Column("status", String(16), nullable=False, server_default="following"),
    Column("reason", Text, nullable=True),
)

# The event id each inbox applied (or skipped) at each position of its source: a message
# naming another id at a known position means the source's history changed (a restore).
inbox_applied = Table(
    "inbox_applied", metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Index("ix_inbox_applied_event", "name", "event_id"),
)

# POSTs answered under an Idempotency-Key (shared.idempotency), per caller: the request's
# fingerprint, the attempt holding the key (`owner`), whether that attempt wrote (set in
# the write's own transaction, shared.fencing) and, once answered, the answer itself.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", String(200), primary_key=True),      # the caller's user name
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),   # sha256 of method, path, query, body
    Column("owner", String(36), nullable=False),
    Column("applied", Integer, nullable=False, server_default="0"),
    Column("status", Integer, nullable=True),            # NULL until answered
    Column("content_type", String(100), nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_idempotency_keys_created", "created_at"),
)
