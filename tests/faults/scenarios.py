"""The fault scenarios, shared by the CI suite (tests/faults/test_faults.py, short loads)
and the soak (bench/soak.py, long loads).

Each scenario: a station of its own, the driver's load started, the fault done once the
load is under way, more load, the driver stopped; then the wait until reporting has
reflected every event the sources hold, and the verdict (tests/faults/checks.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from tests.faults import checks, inject
from tests.faults.workload import Driver


@dataclass
class Load:
    threads: int = 2
    warmup: int = 8          # commands ended before the fault
    after: float = 6.0       # seconds of load after the fault


def broker_stopped(plant, load: Load) -> None:
    """RabbitMQ's app stopped for 10 s, then started (`rabbitmqctl stop_app/start_app`)."""
    plant.rabbit.stop_app()
    time.sleep(10)
    plant.rabbit.start_app()


def service_killed(plant, load: Load, name: str = "casework") -> None:
    """A consuming service SIGKILLed while events flow to it, then started again."""
    plant.kill(name)
    time.sleep(2)
    plant.restart(name)


def postgres_restarted(plant, load: Load) -> None:
    """PostgreSQL shut down fast (every connection cut) and started."""
    plant.postgres.restart()


def duplicated_reordered(plant, load: Load) -> None:
    """Copies of real events, shuffled, twice each, and one forged poison message."""
    inject.copies(plant, ("residents", "casework", "activities", "resources"))
    plant.poisons.add(inject.poison(plant, "casework"))


SCENARIOS = {
    "broker stopped 10 s": broker_stopped,
    "service SIGKILLed (casework)": service_killed,
    "PostgreSQL restarted": postgres_restarted,
    "duplicated + reordered deliveries": duplicated_reordered,
}
REPORTING_DOWN = "reporting down for the whole load"


def run(plant, name: str, serial: int, load: Load) -> checks.Row:
    """One scenario (`name` in SCENARIOS, or REPORTING_DOWN, or "none"): its row."""
    label = f"s{serial}"
    station, community, head = plant.new_station(label)
    urls = {s: plant.url(s) for s in ("residents", "casework", "activities", "resources")}
    driver = Driver(urls, station, community, head, threads=load.threads, label=label,
                    born=serial * 3)
    driver.prepare()
    if name == REPORTING_DOWN:
        plant.stop("reporting")
    try:
        driver.start()
        driver.wait_sent(load.warmup)
        if name in SCENARIOS:
            SCENARIOS[name](plant, load)
        time.sleep(load.after)
    finally:
        driver.stop()
        if name == REPORTING_DOWN:
            plant.restart("reporting")
    seconds = checks.converge(plant, station)
    return checks.verdict(plant, name, station, head, driver.sent, seconds,
                          poisons=plant.poisons)
