"""The fault suite (issue 20, item 8): the five services as separate processes on a
private RabbitMQ and PostgreSQL, a mixed workload through the HTTP API, one fault per
scenario during the load; afterwards every command answered 2xx is reflected exactly once
in reporting, none answered 5xx is half-applied, the station's figures equal the driver's
tally, every chain and signature verifies and no parked queue holds anything but the
injected poison message. The rows are printed at the end of the run (conftest.py); the
longer soak is `bench/soak.py`.
"""
from __future__ import annotations

import pytest

from tests.faults import scenarios
from tests.faults.conftest import ROWS

pytestmark = [pytest.mark.integration, pytest.mark.faults]

NAMES = ["none", *scenarios.SCENARIOS, scenarios.REPORTING_DOWN]


@pytest.mark.timeout(900)     # a loaded 2-core machine: the Erlang CLI alone takes minutes
@pytest.mark.parametrize("name", NAMES)
def test_every_answered_command_is_reflected_exactly_once(plant, name):
    row = scenarios.run(plant, name, NAMES.index(name) + 1, scenarios.Load())
    ROWS.append(row)
    assert row.accepted > 0, row
    assert (row.lost, row.doubled, row.half) == (0, 0, 0), row
    assert row.reflected + row.rolled_back == row.accepted, row
    if name in scenarios.ROLLS_BACK:   # the restore took away what came after the backup
        assert row.rolled_back > 0, row
    else:
        assert row.rolled_back == 0, row
    assert row.problems == [], row
