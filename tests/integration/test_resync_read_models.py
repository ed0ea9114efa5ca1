"""Must show (issue 20, item 2): after the residents' store is restored from an older
backup, every consumer's read models equal a from-zero rebuild: nothing is kept of the
events the source lost.

The five services run as `station serve` processes (stores in PostgreSQL). A resident is
registered and assessed; the residents' store is backed up (`station backup create`);
two more residents are registered and reach every consumer; the residents' store is
restored from the backup (`station backup restore --replace`), and a fourth resident is
registered, at the positions the lost ones had: each consumer resynchronises. Then, with
the services stopped: reporting's read models equal `station projections rebuild
--service reporting`; casework's, activities' and resources' tables folded from the
residents' events equal a fold of the restored store's events; the lost residents are
nowhere, the fourth is everywhere.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from services.activities import projections as activities
from services.casework import projections as casework
from services.resources import projections as resources
from shared.events import Recorded
from shared.stores import engine_for
from station import catalog
from station.audit import table_snapshot
from tests.integration.casework_support import call
from tests.integration.test_casework_followups_by_events import id_number
from tests.support.auth import People, signed_token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

CONSUMERS = ("casework", "activities", "resources", "reporting")
# consumer -> (the tables it folds from the residents' events, the appliers that fold them)
FROM_RESIDENTS = {
    "casework": (casework.FROM_RESIDENTS, casework.RESIDENTS_REFOLD),
    "activities": (activities.FROM_RESIDENTS, activities.RESIDENT_APPLIERS),
    "resources": (resources.FROM_RESIDENTS, resources.residents_refold()),
}


def station_cli(env: dict, *args: str) -> str:
    """A `station` command; tried again while the stopped service's relay (a child
    process) still finishes with the SQLite file."""
    def run():
        done = subprocess.run([sys.executable, "-m", "station.cli", *args, "--data-dir",
                               env["STATION_DATA_DIR"]], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0 or "database is locked" in done.stderr, done.stderr[-3000:]
        return done
    return wait_until(lambda: (d := run()).returncode == 0 and d, timeout=120,
                      what=f"station {' '.join(args)}").stdout


class Residents:
    """The real residents service, through its HTTP API, as a worker of its first station."""

    def __init__(self, services, env):
        self.services, self.env = services, env
        base = f"{services.url('residents')}/api/v1"
        status, org = call("GET", f"{base}/org",
                           token=signed_token("admin", "district_admin", "district:nanming"))
        assert status == 200, org
        self.station = org["districts"][0]["streets"][0]["stations"][0]
        self.people = People(env)

    def register(self, name: str, born: str) -> str:
        base = f"{self.services.url('residents')}/api/v1"
        who = self.people.token(self.services.url("residents"), "wang", "social_worker",
                                f"station:{self.station['id']}")
        status, body = call("POST", f"{base}/residents", {
            "station_id": self.station["id"],
            "community_id": self.station["communities"][0]["id"], "name": name,
            "gender": "female", "birth_date": born, "id_number": id_number(born, female=True),
            "categories": ["living_alone"]}, token=who)
        assert status == 201, body
        return body["id"]


def store_config(env) -> dict:
    return {"STATION_DATA_DIR": env["STATION_DATA_DIR"], "DATABASE_URL": env["DATABASE_URL"]}


def last_position(env) -> int:
    engine = engine_for("residents", store_config(env))
    try:
        with engine.connect() as conn:
            unnumbered = conn.execute(sa.text(
                "SELECT count(*) FROM events WHERE position IS NULL")).scalar()
            last = conn.execute(sa.text("SELECT max(position) FROM events")).scalar() or 0
        return -1 if unnumbered else last
    finally:
        engine.dispose()


def caught_up(env, engines) -> None:
    position = wait_until(lambda: (p := last_position(env)) > 0 and p, timeout=60,
                          what="the residents' events numbered")

    def inbox(consumer):
        with engines[consumer].connect() as conn:
            row = conn.execute(sa.text(
                "SELECT c.position, s.status FROM checkpoints c LEFT JOIN inbox_sources s "
                "ON s.name = c.name WHERE c.name = :n"),
                {"n": f"inbox:{consumer}:residents"}).first()
        return row is not None and row.position == position and row.status == "following"
    for consumer in CONSUMERS:
        wait_until(lambda: inbox(consumer), timeout=120,
                   what=f"{consumer} following the residents' store up to {position}")


def residents_events(env) -> list[Recorded]:
    from shared.stores import open_store
    store = open_store("residents", store_config(env), catalog.registry("residents"))
    try:
        return store.read_all(0, 100_000)
    finally:
        store.engine.dispose()


def folded_again(engine, tables, appliers, events) -> dict:
    """The tables as a fold of `events` would leave them (computed, then rolled back)."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            for table in tables:
                conn.execute(table.delete())
            for event in events:
                applier = appliers.get(event.type)
                if applier is not None:
                    applier(conn, event)
            snapshot = {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                        for t in tables}
            tx.rollback()
    return snapshot


@pytest.mark.timeout(1200)  # five services, residents restarted twice, three station commands
def test_every_consumer_equals_a_rebuild_after_the_source_is_restored(
        services, service_env, database_url, tmp_path):
    env = service_env   # PostgreSQL: a stopped service's store is free at once for a backup
    services.start("residents", *CONSUMERS, timeout=240)
    engines = {c: engine_for(c, store_config(env)) for c in CONSUMERS}
    residents = Residents(services, env)
    try:
        kept = residents.register("张桂兰", "1940-05-01")
        caught_up(env, engines)
        services.stop("residents")
        backup = str(tmp_path / "residents.backup.gz")
        station_cli(env, "backup", "create", "residents", backup)
        services.start("residents", timeout=240)
        lost = [residents.register("李秀英", "1941-06-02"),
                residents.register("王淑珍", "1942-07-03")]
        caught_up(env, engines)
        with engines["casework"].connect() as conn:  # they did reach the consumers
            assert conn.execute(sa.text("SELECT count(*) FROM known_residents WHERE "
                                        "resident_id IN (:a, :b)"),
                                {"a": lost[0], "b": lost[1]}).scalar() == 2

        services.stop("residents")
        station_cli(env, "backup", "restore", "residents", backup, "--replace")
        services.start("residents", timeout=240)
        after = residents.register("赵玉兰", "1943-08-04")
        caught_up(env, engines)
        services.stop(*CONSUMERS)

        events = residents_events(env)
        for consumer, (tables, appliers) in FROM_RESIDENTS.items():
            with engines[consumer].connect() as conn:
                live = {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                        for t in tables}
            assert live == folded_again(engines[consumer], tables, appliers, events), consumer
            with engines[consumer].connect() as conn:
                known = set(conn.execute(sa.text("SELECT resident_id FROM known_residents"))
                            .scalars())
            assert {kept, after} <= known and not known & set(lost), consumer

        from services.reporting import projections as reporting
        live = table_snapshot(engines["reporting"], reporting.metadata)
        report = json.loads(station_cli(env, "projections", "rebuild", "--service",
                                        "reporting"))
        assert report["reporting"]["events_folded"] > 0
        assert table_snapshot(engines["reporting"], reporting.metadata) == live
        with engines["reporting"].connect() as conn:
            named = set(conn.execute(sa.text(
                "SELECT DISTINCT resident_id FROM report_facts WHERE source = 'residents'"))
                .scalars())
        assert not named & set(lost)
    finally:
        residents.people.close()
        for engine in engines.values():
            engine.dispose()
