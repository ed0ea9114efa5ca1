"""The import's operation on a real store (SQLite and PostgreSQL): a person registered by
someone else between the check and the write is refused on that row alone, the other rows
of the batch written (each row its own savepoint)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.events import Registry
from shared.eventstore import EventStore
from shared.security.erasure import KeyVault
from shared.stores import open_store
from shared import import_sheet
from services.residents import events, handlers, import_run, imports, projections

from tests.support.rosters import STATION, person, xlsx

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
WHO = import_run.Importer("head", "station_head", b"the-lookup-key")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    if request.param == "postgres":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    opened = open_store("residents", config, events.registry, projections.projection)
    handlers.seed_org(opened, NOW)
    yield opened
    opened.engine.dispose()


def test_a_row_registered_meanwhile_is_refused_alone(store):
    rows = [person(i) for i in range(5)]
    table = import_sheet.read(xlsx(rows), None, imports.known_header, 100)
    tree = handlers.load_org(store)
    checked = imports.check_table(table, tree, STATION, handlers.policy_for(tree, STATION), NOW)
    columns = imports.Columns(checked.headers)
    verdicts = import_run.judge_all(store, checked.rows, STATION, WHO, columns)
    assert {v.kind for v in verdicts.values()} == {"new"}

    # Someone registers row 4's person after the check, before the write.
    first = verdicts[4].commands[0]
    handlers.handle(store, import_run.c.RegisterResident(
        **{**first.__dict__, "resident_id": "someone-else"}), NOW)

    context = import_run.Context(tree, handlers.policy_for(tree, STATION))
    refused = import_run.write(store, checked.rows, verdicts, NOW, "corr", columns, context,
                               None, batch=10)
    assert list(refused) == [4] and refused[4].column == "身份证号"
    assert refused[4].message_zh == "该身份证号码已登记"
    again = import_run.judge_all(store, checked.rows, STATION, WHO, columns)
    assert {n: v.kind for n, v in again.items()} == {
        2: "unchanged", 3: "unchanged", 5: "unchanged", 6: "unchanged",
        4: "updated"}   # registered without a card: the row's 绿 is its first card
    [override] = again[4].commands
    assert (override.card, override.actor) == ("green", "head")


def test_a_batch_written_at_once_reads_as_row_by_row_and_rebuilds_to_the_same_rows(store):
    """register_many (append_streams, create_many, apply_streams with the MANY appliers)
    leaves the same read model as folding the stored events one by one (rebuild), and
    sound, signed hash chains."""
    import sqlalchemy as sa
    rows = [person(i) for i in range(40)]
    table = import_sheet.read(xlsx(rows), None, imports.known_header, 100)
    report = import_run.run(store, table, STATION, WHO, dry_run=False, now=NOW, batch=25)
    assert (report.as_dict()["new"], report.refused) == (40, 0)
    view = projections.residents_view
    with store.engine.connect() as conn:
        rows_written = conn.execute(sa.select(view).order_by(view.c.id)).all()
    written = [tuple(r) for r in rows_written]
    assert len(written) == 40 and sum(1 for r in rows_written if r.card) == 30
    assert all(r.reassess_on for r in rows_written if r.card)
    projections.rebuild(store)
    with store.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(sa.select(view).order_by(view.c.id))] == written
    assert store.verify() == []
    stored = [e for e in store.read_all(0, 10_000) if e.correlation_id == report.correlation_id]
    assert len(stored) == 40 * 2 + 30 * 2   # claim, registered; card + schedule (three in four)
    assert all(e.signature == store.signer.seal(e.hash) for e in stored)
    states = import_run.load_residents(store, [r.id for r in rows_written])
    assert all(state.exists and not erased for state, erased in states.values())
