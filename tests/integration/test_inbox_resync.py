"""Must show (issue 10, item 1): a source restored from an older backup, new events
appended there; the consumer ends with exactly the source's events applied.

Real processes (tsource answering RPC, ledger consuming), the relay a thread here, the
broker on this test's vhost, both stores in this test's PostgreSQL database. The backup
is a copy of the tsource schema's tables; the restore puts them back (the relay's
checkpoint included, as a real restore would).
"""
from __future__ import annotations

import contextlib
from collections import Counter

import pytest
import sqlalchemy as sa

from shared import db
from shared.events import NewEvent
from tests.support.harness import RelayThread, ServiceProcess, ledger_applied, wait_until

pytestmark = pytest.mark.integration
TABLES = ("events", "checkpoints", "store_meta")


@pytest.fixture
def env(service_env, database_url):
    return {**service_env, "DATABASE_URL": database_url}


def backup(url: str) -> None:
    with db.make_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA backup")
        for table in TABLES:
            conn.exec_driver_sql(f"CREATE TABLE backup.{table} AS TABLE tsource.{table}")


def restore(url: str) -> None:
    with db.make_engine(url).begin() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"DELETE FROM tsource.{table}")
            conn.exec_driver_sql(f"INSERT INTO tsource.{table} TABLE backup.{table}")


def append(store, stream: str, count: int, start: int = 0) -> list[str]:
    return [e.event_id for e in store.append(
        stream, 0, [NewEvent("Counted", {"n": start + i}) for i in range(count)])]


@contextlib.contextmanager
def restored_after_backup(env: dict, tmp_path):
    """TSource and Ledger running; 20 events applied, the source backed up, 10 more
    applied, the source restored from the backup and its relay started again (the
    source's process after a restore). Yields (relay, before the backup, lost by it)."""
    started = [ServiceProcess(f"tests.support.services:{name}", env, str(tmp_path / f"{name}.log"))
               for name in ("TSource", "Ledger")]
    relays = [RelayThread(env).start()]
    try:
        before = append(relays[0].store, "a", 20)
        wait_until(lambda: len(ledger_applied(env["AMQP_URI"])) == 20, what="20 applied")
        backup(env["DATABASE_URL"])
        lost_by_restore = append(relays[0].store, "b", 10, start=100)
        wait_until(lambda: len(ledger_applied(env["AMQP_URI"])) == 30, what="30 applied")
        relays[0].stop()
        restore(env["DATABASE_URL"])
        relays.append(RelayThread(env).start())
        yield relays[-1], before, lost_by_restore
    finally:
        relays[-1].stop()
        for proc in started:
            proc.stop()


def ledger_holding(env: dict, events: list[str], timeout: float) -> Counter:
    """The ledger's applied event ids (with how often), once they are exactly `events`."""
    def settled():
        counts = Counter(r["event_id"] for r in ledger_applied(env["AMQP_URI"]))
        return counts if set(counts) == set(events) else None
    return wait_until(settled, timeout=timeout, what="the ledger holds the source's events")


def test_source_restored_from_an_older_backup_then_appended_to(env, tmp_path):
    with restored_after_backup(env, tmp_path) as (relay, before, lost_by_restore):
        after = append(relay.store, "c", 15, start=200)
        # The relay's own read may hold the sequencer's lock (PostgreSQL): this read then
        # numbers nothing and sees the new events a moment later, not at once.
        source = wait_until(lambda: (ids := [e.event_id for e in relay.store.read_all(0, 1000)])
                            == before + after and ids, timeout=30, what="the source numbered")
        counts = ledger_holding(env, source, timeout=90)
    doubled = [e for e, n in counts.items() if n > 1]
    print(f"\nresync after restore: source has {len(source)} events ({len(before)} before the "
          f"backup, {len(after)} after the restore; {len(lost_by_restore)} the restore removed); "
          f"applied {len(counts)}, lost {len(set(source) - set(counts))}, doubled {len(doubled)}")
    assert not doubled and set(counts) == set(source)
    assert not set(lost_by_restore) & set(counts)


def test_source_restored_from_an_older_backup_then_quiet(env, tmp_path):
    """The fault suite's finding: restored, and then nothing written, the source sends no
    message that could show the restore; the consumer's timer asks (STATION_SOURCE_CHECK_S)
    and drops what the restore removed, with no new event and no operator."""
    env = {**env, "STATION_SOURCE_CHECK_S": "1"}
    with restored_after_backup(env, tmp_path) as (_, before, lost_by_restore):
        counts = ledger_holding(env, before, timeout=60)
    assert all(n == 1 for n in counts.values())
    assert not set(lost_by_restore) & set(counts)
    assert "inbox.resynced" in (tmp_path / "Ledger.log").read_text()
