"""The fault scenarios, shared by the CI suite (tests/faults/test_faults.py, short loads)
and the soak (bench/soak.py, long loads).

Each scenario: a station of its own, the driver's load started, the fault done once the
load is under way, more load, the driver stopped; then the wait until reporting has
reflected every event the sources hold, and the verdict (tests/faults/checks.py).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from tests.faults import checks, inject
from tests.faults.workload import Driver


@dataclass
class Load:
    threads: int = 2
    warmup: int = 8          # commands ended before the fault
    after_sent: int = 8      # commands ended after the fault before the driver stops
    after: float = 0.0       # then seconds more (the soak's longer tail)
    know: float = 60.0       # seconds a request naming a resident is sent again (404/unsent)


def broker_stopped(plant, load: Load, driver) -> None:
    """RabbitMQ's app stopped for 10 s, then started (`rabbitmqctl stop_app/start_app`)."""
    plant.rabbit.stop_app()
    time.sleep(10)
    plant.rabbit.start_app()


def service_killed(plant, load: Load, driver, name: str = "casework") -> None:
    """A consuming service SIGKILLed while events flow to it, then started again."""
    plant.kill(name)
    time.sleep(2)
    plant.restart(name)


def postgres_restarted(plant, load: Load, driver) -> None:
    """PostgreSQL shut down fast (every connection cut) and started."""
    plant.postgres.restart()


def duplicated_reordered(plant, load: Load, driver) -> None:
    """Copies of real events, shuffled, twice each, and one forged poison message."""
    inject.copies(plant, ("residents", "casework", "activities", "resources"))
    plant.poisons.add(inject.poison(plant, "casework"))


RESTORED = "residents"


def source_restored(plant, load: Load, driver) -> None:
    """The residents' store backed up mid-load (`station backup create`), more commands,
    then residents stopped, its store restored from that backup (`station backup restore
    --replace`) and started: what was accepted between the backup and the restore is gone
    from the source; every consumer resynchronises (shared.inbox_sync)."""
    path = os.path.join(plant.data_dir, f"{RESTORED}-{time.monotonic_ns()}.backup.gz")
    plant.window = [time.monotonic(), 0.0]
    plant.cli("backup", "create", RESTORED, path)
    _until_accepted(driver, after=time.monotonic())      # it will be gone
    plant.stop(RESTORED)
    plant.cli("backup", "restore", RESTORED, path, "--replace")
    plant.restart(RESTORED)
    plant.window[1] = time.monotonic()
    # The consumers notice the restore when the source's next event reaches them (a
    # position they had passed, naming another event): the load goes on until the
    # restored residents has accepted a command.
    _until_accepted(driver, after=plant.window[1])


def _until_accepted(driver, after: float, timeout: float = 120) -> None:
    """Until a residents command (registration, assessment) ended accepted after `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(
            s.outcome == "accepted" and s.ended_at > after and s.kind in ("resident", "card")
            for s in list(driver.sent)):
        time.sleep(0.1)


RESTORE = "source store restored from backup mid-load (residents)"
ROLLS_BACK = {RESTORE}
SCENARIOS = {
    "broker stopped 10 s": broker_stopped,
    "service SIGKILLed (casework)": service_killed,
    "PostgreSQL restarted": postgres_restarted,
    "duplicated + reordered deliveries": duplicated_reordered,
    RESTORE: source_restored,
}
REPORTING_DOWN = "reporting down for the whole load"


def run(plant, name: str, serial: int, load: Load) -> checks.Row:
    """One scenario (`name` in SCENARIOS, or REPORTING_DOWN, or "none"): its row."""
    label = f"s{serial}"
    station, community, head = plant.new_station(label)
    urls = {s: plant.url(s) for s in ("residents", "casework", "activities", "resources")}
    driver = Driver(urls, station, community, head, threads=load.threads, label=label,
                    born=serial * 3, know_timeout=load.know)
    plant.window = None
    driver.prepare()
    if name == REPORTING_DOWN:
        plant.stop("reporting")
    try:
        driver.start()
        driver.wait_sent(load.warmup)
        if name in SCENARIOS:
            SCENARIOS[name](plant, load, driver)
        driver.wait_sent(len(driver.sent) + load.after_sent)
        time.sleep(load.after)
    finally:
        driver.stop()
        if name == REPORTING_DOWN:
            plant.restart("reporting")
    seconds = checks.converge(plant, station)
    restored = (RESTORED, *plant.window) if plant.window else None
    return checks.verdict(plant, name, station, head, driver.sent, seconds,
                          poisons=plant.poisons, restored=restored)
