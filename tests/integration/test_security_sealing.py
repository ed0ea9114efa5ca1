"""The shared sealing of a service's text (shared.security.sealing) and the disk scrub
after a key is destroyed (shared.security.scrub), on SQLite and PostgreSQL."""
import marshmallow as ma
import pytest

from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.security import erasure, scrub
from shared.security.erasure import ERASED, KeyVault
from shared.security.sealing import Sealing, SubjectErased

pytestmark = pytest.mark.integration
SEALING = Sealing({"NoteTaken": ("note",)})


class NoteTaken(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE


@pytest.fixture
def store(engine):
    registry = erasure.register(Registry())
    registry.register("NoteTaken", NoteTaken)
    store = EventStore(engine, registry)
    KeyVault(store)
    return store


def test_text_is_sealed_opened_and_erased_even_when_written_in_clear_before(store):
    vault = KeyVault(store)
    with store.engine.begin() as conn:
        sealed = SEALING.seal(vault, [NewEvent("NoteTaken", {"resident_id": "r1",
                                                             "note": "独居老人张三"})], conn)
        store.append("note-1", 0, sealed, conn=conn)
    store.append("note-0", 0, [NewEvent("NoteTaken", {"note": "旧记录张三"})])  # before sealing
    (new,) = store.read_stream("note-1")
    (old,) = store.read_stream("note-0")
    assert "张三" not in str(new.payload)
    assert SEALING.unseal(vault, [new])[0].payload["note"] == "独居老人张三"
    assert SEALING.unseal(vault, [old], subject="r1")[0].payload["note"] == "旧记录张三"

    vault.destroy("r1", actor="ops")
    assert SEALING.unseal(vault, [new])[0].payload["note"] == ERASED
    assert SEALING.unseal(vault, [old], subject="r1")[0].payload["note"] == ERASED
    with store.engine.begin() as conn, pytest.raises(SubjectErased):
        SEALING.seal(vault, [NewEvent("NoteTaken", {"resident_id": "r1", "note": "x"})], conn)
    with store.engine.begin() as conn:  # nothing new to seal: still accepted
        assert SEALING.seal(vault, [NewEvent("NoteTaken", {"resident_id": "r1", "note": None})],
                            conn)[0].payload["note"] is None
    assert store.verify() == []


def test_the_store_is_scrubbed_when_the_destroying_transaction_ends(store, tmp_path):
    vault = KeyVault(store)
    key = vault.create("r1")
    with store.engine.begin() as conn:
        vault.destroy("r1", conn=conn)
        assert scrub.outstanding(conn) == 1
    with store.engine.connect() as conn:
        assert scrub.outstanding(conn) == 0
    if store.engine.dialect.name == "sqlite":
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
        assert key not in raw and (tmp_path / "store.db-wal").stat().st_size == 0


def test_text_that_names_no_one_stays_in_clear_only_where_declared_anonymous(store):
    vault = KeyVault(store)
    feedback = Sealing({"NoteTaken": ("note",)}, anonymous=frozenset({"NoteTaken"}))
    with store.engine.begin() as conn:
        named, unnamed = feedback.seal(vault, [
            NewEvent("NoteTaken", {"resident_id": "r2", "note": "李四说很好"}),
            NewEvent("NoteTaken", {"note": "大家都说很好"})], conn)
        store.append("note-2", 0, [named, unnamed], conn=conn)
    stored = store.read_stream("note-2")
    assert erasure.is_encrypted(stored[0].payload["note"])
    assert stored[1].payload["note"] == "大家都说很好"
    vault.destroy("r2", actor="ops")
    opened = feedback.unseal(vault, stored)
    assert [e.payload["note"] for e in opened] == [ERASED, "大家都说很好"]
    with store.engine.begin() as conn, pytest.raises(ValueError):  # not declared: refused
        SEALING.seal(vault, [NewEvent("NoteTaken", {"note": "无名"})], conn)


def test_a_transaction_older_than_the_erasure_cannot_keep_the_key_on_disk(store):
    """PostgreSQL: VACUUM FULL copies row versions an open transaction may still see.
    A reader that took its snapshot before the key was destroyed ends 1 s later; the
    scrub waits for it, so the rewritten table holds no byte of the key."""
    if store.engine.dialect.name != "postgresql":
        assert store.engine.dialect.name == "sqlite"   # SQLite: one writer, VACUUM sees all
        return
    import threading
    import sqlalchemy as sa
    vault = KeyVault(store)
    key = vault.create("r1")
    older = store.engine.connect()
    older.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    # its snapshot taken, no lock on the keys' table (a lock would hold VACUUM FULL off)
    assert older.exec_driver_sql("SELECT count(*) FROM scrub_requests").scalar() == 0
    ended = threading.Timer(1.0, older.rollback)
    ended.start()
    try:
        vault.destroy("r1", actor="ops")   # the scrub runs as this transaction's connection returns
    finally:
        ended.join()
        older.close()
    with store.engine.begin() as conn:
        assert scrub.outstanding(conn) == 0
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        pages = conn.execute(sa.text(
            "SELECT get_raw_page('resident_keys', n) FROM generate_series(0, "
            "pg_relation_size('resident_keys') / current_setting('block_size')::int - 1) n")
        ).scalars().all()
    assert key not in b"".join(bytes(p) for p in pages)
