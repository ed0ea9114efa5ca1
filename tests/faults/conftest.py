"""Fixtures of the fault suite: a private broker and database, and the five services on
them as separate processes (`station serve NAME`), shared by the scenarios of a module.

The machine's RabbitMQ and PostgreSQL are never touched: the faults (broker stopped,
database restarted) are done to instances of our own (tests/faults/infra.py), which are
stopped and removed even when a scenario fails.
"""
from __future__ import annotations

import pytest

from tests.faults import infra
from tests.faults.plant import Plant



@pytest.fixture(scope="session")
def private_rabbit():
    why = infra.available()
    if why:
        pytest.fail(f"the fault suite cannot run here: {why}")
    rabbit = infra.PrivateRabbit()
    try:
        yield rabbit.start()
    finally:
        rabbit.close()


@pytest.fixture(scope="session")
def private_postgres():
    why = infra.available()
    if why:
        pytest.fail(f"the fault suite cannot run here: {why}")
    pg = infra.PrivatePostgres()
    try:
        yield pg.start()
    finally:
        pg.close()


@pytest.fixture(scope="module")
def plant(private_rabbit, private_postgres, tmp_path_factory):
    """The five services on the private instances, with a district admin; stopped after."""
    running = Plant(private_rabbit, private_postgres, str(tmp_path_factory.mktemp("plant")))
    try:
        yield running.start()
    finally:
        running.close()


ROWS: list = []   # the scenarios' rows (tests/faults/checks.Row), printed at the end


def pytest_terminal_summary(terminalreporter):
    if ROWS:
        from tests.faults.checks import table
        terminalreporter.write_sep("=", "fault table (tests/faults)")
        terminalreporter.write_line(table(ROWS))
        for row in ROWS:
            for problem in row.problems:
                terminalreporter.write_line(f"{row.scenario}: {problem}")
