"""Configuration: environment variables only, validated at start, one documented table."""
from __future__ import annotations

import dataclasses
import pathlib
import re
import subprocess
import sys

import pytest

from shared import config
from shared.config import ConfigError, Settings

REPO = pathlib.Path(__file__).resolve().parents[2]
GOOD = {"AMQP_URI": "amqp://u:p@rabbit:5672/", "DATABASE_URL": "postgresql://u:p@pg:5432/db",
        "STATION_JWT_KEYS": "k1:" + "s" * 40, "STATION_LOOKUP_KEY": "l" * 40}


def test_the_defaults_are_the_settings_defaults():
    """All but the deployment's name, which is derived from where the data lives."""
    settings = Settings.from_env({})
    assert dataclasses.replace(settings, deployment=None) == Settings()
    assert settings.deployment.startswith("station-data-")


def test_good_values_are_parsed_into_settings():
    settings = Settings.from_env({**GOOD, "MAX_RETRIES": "5", "LOG_LEVEL": "warning",
                                  "STATION_QUEUE_TYPE": "QUORUM",
                                  "STATION_MIGRATE_AT_START": "no", "RPC_TIMEOUT": "2.5"})
    assert (settings.max_retries, settings.log_level, settings.queue_type,
            settings.migrate_at_start, settings.rpc_timeout) == (5, "WARNING", "quorum", False, 2.5)
    assert settings.database_url == GOOD["DATABASE_URL"]


@pytest.mark.parametrize("name,value,expected", [
    ("AMQP_URI", "http://rabbit/", "amqp://USER:PASSWORD@HOST:5672/VHOST"),
    ("DATABASE_URL", "mysql://db/x", "postgresql://USER:PASSWORD@HOST:5432/DB"),
    ("MAX_RETRIES", "three", "a whole number >= 0"),
    ("RETRY_DELAY_MS", "-5", "a whole number >= 0"),
    ("RPC_TIMEOUT", "0", "a number >= 0.1"),
    ("LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING or ERROR"),
    ("STATION_QUEUE_TYPE", "mirrored", "classic or quorum"),
    ("STATION_MIGRATE_AT_START", "maybe", "true or false"),
    ("STATION_JWT_KEYS", "just-a-secret", "kid:secret[,kid:secret]"),
    ("STATION_JWT_KEYS", "k1:short", "each secret >= 32 characters"),
    ("STATION_LOOKUP_KEY", "short", ">= 32 characters"),
    ("STATION_BIND_HOST", "not a host!", "an IP address or host name"),
    ("CASEWORK_POLICY_FILE", "/nowhere/policy.json", "path of a JSON file"),
])
def test_a_bad_variable_is_named_with_what_it_should_look_like(name, value, expected):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**GOOD, name: value})
    (problem,) = caught.value.problems
    assert problem.startswith(f"{name}: should be") and expected in problem


def test_secret_values_are_never_echoed_and_plain_ones_are():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**GOOD, "STATION_LOOKUP_KEY": "hunter2", "MAX_RETRIES": "x"})
    text = str(caught.value)
    assert "hunter2" not in text and "'x'" in text and len(caught.value.problems) == 2


def test_a_command_started_with_a_bad_variable_exits_2_naming_it():
    result = subprocess.run([sys.executable, "-m", "station.cli", "serve", "casework"],
                            env={"PATH": "/usr/bin:/bin", "MAX_RETRIES": "lots",
                                 "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert "MAX_RETRIES: should be a whole number >= 0 (got 'lots')" in result.stderr


def documented_table() -> str:
    text = (REPO / "deploy" / "RUNBOOK.md").read_text()
    return text.split("<!-- config-table:start -->\n")[1].split("<!-- config-table:end -->")[0]


def test_the_runbook_table_is_the_code_table():
    assert documented_table() == config.markdown_table()


READS = re.compile(r"(?:environ\.get|getenv|environ\[|setting\(\w+, |config\.get|env\.get)"
                   r"\(?\s*[\"']([A-Z][A-Z0-9_]+)[\"']")


def test_every_variable_the_code_reads_is_in_the_table():
    read = {name for folder in ("shared", "services", "station")
            for path in (REPO / folder).rglob("*.py") for name in READS.findall(path.read_text())}
    assert {"CASEWORK_POLICY_FILE", "STATION_JWT_KEYS", "DATABASE_URL"} <= read  # the scan works
    assert read - {v.name for v in config.VARIABLES} == set()
