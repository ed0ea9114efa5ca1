"""The resources handlers on each backend (SQLite and PostgreSQL), without the bus:
the read models are folds of the events — rebuilt from zero they are the same, and the
totals the database sums in fen equal the pure fold of the stored donations."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.eventstore import EventStore
from station.audit import table_snapshot

from services.resources import commands as c
from services.resources import handlers, projections, queries, totals
from services.resources.events import registry
from services.resources.errors import Insufficient

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def ctx(engine):
    projections.metadata.create_all(engine)
    return handlers.Context(EventStore(engine, registry))


def run(ctx, command):
    return handlers.execute(ctx, command, NOW)


def a_station_with_resources(ctx) -> str:
    run(ctx, c.RegisterPartner("pa-1", "st-1", "超市", "business", "li", community_id="cm-1"))
    run(ctx, c.RegisterPartner("pa-2", "st-1", "妇联", "government", "li",
                               department="womens_federation"))
    for i, (partner, value, day) in enumerate((("pa-1", "0.1", date(2026, 10, 1)),
                                               ("pa-1", "0.2", date(2026, 11, 2)),
                                               ("pa-2", "500", date(2026, 11, 3)))):
        run(ctx, c.DonateResource(f"d-{i}", "st-1", partner, "cash", value, "li",
                                  donated_on=day))
    goods = run(ctx, c.DonateResource("d-9", "st-1", "pa-1", "in_kind", "90.00", "li",
                                      item="食用油", unit="桶", quantity=3,
                                      donated_on=date(2026, 11, 5)))
    run(ctx, c.AllocateResource("a-1", goods["stock_id"], "project", "winter", "li",
                                quantity=2))
    return goods["stock_id"]


def test_read_models_rebuilt_from_zero_are_the_same(ctx):
    a_station_with_resources(ctx)
    before = table_snapshot(ctx.store.engine, projections.metadata)
    assert projections.rebuild(ctx.store) == 7
    assert table_snapshot(ctx.store.engine, projections.metadata) == before


def test_the_databases_sums_in_fen_equal_the_fold_of_the_stored_donations(ctx):
    a_station_with_resources(ctx)
    donated = [e.payload for e in ctx.store.read_all(0, 100) if e.type == "ResourceDonated"]
    with ctx.store.engine.connect() as conn:
        summed = queries.donation_totals(conn, ["st-1"])
    assert summed == totals.donation_totals(donated).as_text()
    assert summed["by_month"] == {"2026-10": "0.10", "2026-11": "590.20"}
    assert summed["by_partner_type"] == {"business": "90.30", "government": "500.00"}


def test_the_last_units_cannot_be_allocated_twice(ctx):
    stock_id = a_station_with_resources(ctx)
    run(ctx, c.AllocateResource("a-2", stock_id, "project", "winter", "li", quantity=1))
    before = len(ctx.store.read_all(0, 100))
    with pytest.raises(Insufficient):
        run(ctx, c.AllocateResource("a-3", stock_id, "project", "winter", "li", quantity=1))
    assert len(ctx.store.read_all(0, 100)) == before
    with ctx.store.engine.connect() as conn:
        held = queries.get_stock(conn, stock_id)
    assert (held["quantity"], held["value"], held["allocated"]) == (0, "0.00", "90.00")
