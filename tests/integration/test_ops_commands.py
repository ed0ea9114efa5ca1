"""Operators' commands on the real broker and PostgreSQL: `station db upgrade`,
`station parked list|inspect|replay`, `station backup create|restore|verify`,
`station onboard`."""
from __future__ import annotations

import io
import json
import stat
from collections import Counter

import pytest
import sqlalchemy as sa

from shared import topology
from shared.config import Settings
from shared.deployment import prefixed, rpc_exchange
from shared.events import NewEvent, Registry
from shared.stores import StoreNotMigrated, engine_for, open_store
from station import backup, catalog, cli, parked
from station.audit import table_snapshot
from tests.support.harness import RelayThread, ServiceProcess, ledger_applied, wait_until
from tests.support.ops_services import relay_for
from tests.support.services import ledger_tables
from tests.support.services import registry as source_registry

pytestmark = pytest.mark.integration


@pytest.fixture
def env(service_env, database_url, monkeypatch):
    """The test's broker vhost and database, also in this process's environment (the
    commands run in-process through station.cli.main)."""
    env = {**service_env, "DATABASE_URL": database_url, "MAX_RETRIES": "0"}
    for key in ("AMQP_URI", "DATABASE_URL", "STATION_DATA_DIR", "MAX_RETRIES",
                "STATION_JWT_KEYS", "STATION_LOOKUP_KEY"):
        monkeypatch.setenv(key, env[key])
    return env


@pytest.fixture
def procs(env, tmp_path):
    started: list[ServiceProcess] = []

    def start(target: str) -> ServiceProcess:
        name = target.rpartition(":")[2]
        proc = ServiceProcess(target, env, str(tmp_path / f"{name}.log"))
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def run(capsys, *argv: str) -> tuple[int, dict | list]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out[out.index(next(c for c in out if c in "[{")):]) if out.strip() else {}


def counted(n: int) -> NewEvent:
    return NewEvent("Counted", {"n": n})


# -- db upgrade ------------------------------------------------------------------------

def test_db_upgrade_migrates_every_store_once_and_services_wait_for_it(env, capsys, monkeypatch):
    config = Settings.from_env().nameko_config()
    monkeypatch.setitem(config, "STATION_MIGRATE_AT_START", False)
    with pytest.raises(StoreNotMigrated, match="station db upgrade --service casework"):
        open_store("casework", config, catalog.registry("casework"))

    code, first = run(capsys, "db", "upgrade")
    assert code == 0 and set(first) == set(catalog.SERVICES)
    assert all(r["from"] is None and r["to"] and r["changed"] for r in first.values())
    assert "cases" in " ".join(first["casework"]["read_model_tables_created"])

    code, again = run(capsys, "db", "upgrade")
    assert code == 0 and not any(r["changed"] for r in again.values())
    store = open_store("casework", config, catalog.registry("casework"))  # now it opens
    assert store.last_position() == 0
    store.engine.dispose()


# -- backup, drop, restore, verify ------------------------------------------------------

def test_backup_drop_restore_verify_gives_identical_streams_and_consumers_converge(
        env, procs, tmp_path):
    procs("tests.support.services:TSource")
    procs("tests.support.services:Ledger")
    relay = RelayThread(env).start()
    for i in range(200):
        relay.store.append(f"s{i % 20}", i // 20, [counted(i)])
    wait_until(lambda: len(ledger_applied(env["AMQP_URI"])) == 200, timeout=120,
               what="ledger applied 200")
    relay.stop()

    before = relay.store.read_all(0, 10_000)
    engine = relay.store.engine
    file = io.StringIO()
    header = backup.create(engine, "tsource", file)
    assert (header["events"], header["last_position"]) == (200, 200)

    backup.drop(engine, "tsource")
    assert backup.is_empty(engine)
    file.seek(0)
    backup.restore(engine, file)
    file.seek(0)
    report = backup.verify(engine, file)
    assert report["ok"], report
    assert report["same_store_id"] and report["heads_sha256"]["store"] == header["heads_sha256"]
    after = open_store("tsource", {"DATABASE_URL": env["DATABASE_URL"]}, Registry())
    assert after.read_all(0, 10_000) == before          # every field, hashes included
    assert after.verify() == []

    # The restored store goes on: new events reach the ledger once each, after the old.
    relay = RelayThread(env).start()
    try:
        for i in range(200, 250):
            relay.store.append(f"s{i % 20}", i // 20, [counted(i)])
        rows = wait_until(lambda: (r := ledger_applied(env["AMQP_URI"])) and len(r) >= 250 and r,
                          timeout=120, what="ledger applied 250")
    finally:
        relay.stop()
    assert max(Counter(r["event_id"] for r in rows).values()) == 1 and len(rows) == 250
    assert [r["position"] for r in rows] == list(range(1, 251))


def test_a_restore_brings_back_read_models_and_inbox_checkpoints(env, tmp_path):
    """The consumer's side: its projection rows and inbox checkpoint come back as they were."""
    config = {"DATABASE_URL": env["DATABASE_URL"]}
    store = open_store("ledger", config, Registry(), ledger_tables)
    with store.engine.begin() as conn:
        conn.execute(ledger_tables.tables["applied"].insert(), [
            {"event_id": f"e{i}", "stream_id": "s", "position": i, "n": i} for i in range(1, 6)])
        conn.execute(sa.text("INSERT INTO checkpoints (name, position) VALUES "
                             "('inbox:ledger:tsource', 5)"))
    before = table_snapshot(store.engine, ledger_tables)
    path = tmp_path / "ledger.jsonl.gz"
    with backup._open(str(path), "w") as out:
        backup.create(store.engine, "ledger", out, ledger_tables)
    backup.drop(store.engine, "ledger")
    with backup._open(str(path), "r") as source:
        backup.restore(store.engine, source, ledger_tables)
    assert table_snapshot(store.engine, ledger_tables) == before
    with store.engine.begin() as conn:  # the serial column goes on after the restored ids
        conn.execute(ledger_tables.tables["applied"].insert().values(
            event_id="e6", stream_id="s", position=6, n=6))
        assert conn.execute(sa.text("SELECT position FROM checkpoints "
                                    "WHERE name = 'inbox:ledger:tsource'")).scalar() == 5


def test_backup_cli_round_trip_and_verify_names_a_tampered_store(env, capsys, tmp_path):
    from datetime import datetime, timezone

    from services.residents import handlers
    store = open_store("residents", Settings.from_env().nameko_config(),
                       catalog.registry("residents"))
    assert handlers.seed_org(store, datetime.now(timezone.utc)) > 5
    file = str(tmp_path / "residents.jsonl.gz")
    code, header = run(capsys, "backup", "create", "residents", file)
    assert code == 0 and header["events"] == store.last_position() > 5
    code, report = run(capsys, "backup", "verify", "residents", file)
    assert code == 0 and report["ok"]
    code, _ = run(capsys, "backup", "restore", "residents", file)
    assert code == 1  # refused: the store has events and --replace was not given
    code, restored = run(capsys, "backup", "restore", "residents", file, "--replace")
    assert code == 0 and restored["verify"]["ok"]

    with store.engine.begin() as conn:  # someone edits an event in the database
        conn.execute(sa.text("UPDATE events SET payload = replace(payload, '社区', '小区') "
                             "WHERE position = (SELECT max(position) FROM events "
                             "WHERE payload LIKE '%社区%')"))
    code, report = run(capsys, "backup", "verify", "residents", file)
    assert code == 1 and not report["ok"]
    (problem,) = report["chain_problems"]
    assert problem["problem"] == "altered" and problem["stream_id"]
    store.engine.dispose()


# -- parked messages --------------------------------------------------------------------

def flaky_applied(amqp_uri: str, deployment: str = "") -> list[int]:
    from nameko.standalone.rpc import ClusterRpcProxy
    config = {"AMQP_URI": amqp_uri, "rpc_exchange": rpc_exchange(deployment)}
    with ClusterRpcProxy(config, timeout=10) as rpc:
        return sorted(r["n"] for r in rpc.flaky.applied())


@pytest.mark.parametrize("deployment", ["", "east"], ids=["unprefixed", "prefixed"])
def test_parked_messages_are_listed_inspected_and_replayed_once_fixed(env, procs, tmp_path,
                                                                      capsys, monkeypatch,
                                                                      deployment):
    """Also in a named deployment, as `station up` always runs (its queues prefixed)."""
    env["STATION_DEPLOYMENT"] = deployment
    monkeypatch.setenv("STATION_DEPLOYMENT", deployment)
    applied = lambda: flaky_applied(env["AMQP_URI"], deployment)  # noqa: E731
    parked_now = lambda: parked.counts(env["AMQP_URI"], {"flaky": ("tsource",)},  # noqa: E731
                                       deployment)[0]["parked"]
    (tmp_path / "flaky-fail").write_text("3\n")
    procs("tests.support.ops_services:Flaky")
    source = open_store("tsource", {"DATABASE_URL": env["DATABASE_URL"]},
                        source_registry)
    relay = relay_for(source, env["AMQP_URI"], "flaky", deployment)
    relay.start()
    # Issue 20, item 3: n=6 is of the failing event's stream: it waits behind it (held,
    # counted with the parked) and is applied right after it is replayed.
    source.append("s", 0, [counted(n) for n in range(1, 4)])
    source.append("t", 0, [counted(4), counted(5)])
    source.append("s", 3, [counted(6)])
    wait_until(lambda: applied() == [1, 2, 4, 5], what="good four applied")
    wait_until(lambda: parked_now() == 1, what="one message parked")

    code, rows = run(capsys, "parked", "list")
    assert code == 0 and {r["queue"] for r in rows} == {
        prefixed(deployment, f"{c}.inbox.{s}.parked")
        for c, ss in topology.SUBSCRIPTIONS.items() for s in ss}
    code, seen = run(capsys, "parked", "inspect", "flaky", "tsource")
    assert code == 0 and len(seen) == 1
    assert (seen[0]["position"], seen[0]["type"], seen[0]["payload_keys"]) == (3, "Counted", ["n", "poison", "slow_s"])
    assert "payload" not in seen[0]  # keys only: parked events may be about residents
    assert "flaky failure n=3" in seen[0]["error"]
    assert parked_now() == 1  # still there

    (tmp_path / "flaky-fail").write_text("")       # the cause is fixed
    code, result = run(capsys, "parked", "replay", "flaky", "tsource")
    assert code == 0 and result == {"replayed_positions": [3]}
    assert wait_until(lambda: applied() == [1, 2, 3, 4, 5, 6],
                      what="the replayed event applied, then the one held behind it")
    assert parked_now() == 0
    code, result = run(capsys, "parked", "replay", "flaky", "tsource")  # nothing left
    assert result == {"replayed_positions": []}
    assert applied() == [1, 2, 3, 4, 5, 6]
    relay.stop()


# -- onboarding -------------------------------------------------------------------------

def test_onboard_adds_the_station_its_communities_and_first_users_once(env, capsys, tmp_path):
    plan = {"district": "nanming", "street": {"id": "xinhua", "name": "新华路街道"},
            "station": {"id": "xinhua-station", "name": "新华路街道社工站"},
            "communities": [{"id": "fushui", "name": "富水社区"}],
            "users": [{"username": "wang.head", "role": "station_head"},
                      {"username": "li.worker", "role": "social_worker"}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan, ensure_ascii=False))
    logins = tmp_path / "logins.json"
    code, result = run(capsys, "onboard", str(tmp_path / "plan.json"), "--logins", str(logins))
    assert code == 0 and {o["status"] for o in result["org"]} == {"added"}
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    passwords = json.loads(logins.read_text())
    assert set(passwords) == {"wang.head", "li.worker"}

    code, tree = run(capsys, "org", "show")
    (district,) = [d for d in tree["districts"] if d["id"] == "nanming"]
    street = next(s for s in district["streets"] if s["id"] == "xinhua")
    (station,) = street["stations"]
    assert station["id"] == "xinhua-station" and [c["id"] for c in station["communities"]] == ["fushui"]

    from shared.security import users
    people = users.open_users(Settings.from_env().nameko_config())
    head = people.authenticate("wang.head", passwords["wang.head"])
    assert head.role == "station_head" and list(head.scopes) == ["station:xinhua-station"]

    code, again = run(capsys, "onboard", str(tmp_path / "plan.json"), "--logins",
                      str(tmp_path / "again.json"))
    assert {o["status"] for o in again["org"]} == {"exists"}
    assert {u["status"] for u in again["users"]} == {"exists"}
    assert not (tmp_path / "again.json").exists()
    users.close_users()
