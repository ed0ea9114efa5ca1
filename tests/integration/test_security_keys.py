"""Key material: configured keys win; otherwise one dev key per data directory, shared
by every process that uses it, readable by its owner only."""
import os
import stat
import subprocess
import sys

import pytest

from shared.security.keys import jwt_keys, lookup_key, token_ttl
from shared.security.principal import Principal
from shared.security.tokens import issue, verify

pytestmark = pytest.mark.integration

K1 = "k1:" + "a" * 40


@pytest.fixture(autouse=True)
def no_configured_keys(monkeypatch):
    for name in ("STATION_JWT_KEYS", "STATION_LOOKUP_KEY", "STATION_TOKEN_TTL"):
        monkeypatch.delenv(name, raising=False)


def test_without_configuration_a_dev_key_is_generated_once_into_the_data_dir(tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path / "data")}
    first = jwt_keys(config)
    assert jwt_keys(config) == first
    key_file = tmp_path / "data" / "jwt-keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.signing[0].startswith("dev-")


def test_tokens_from_one_process_verify_in_another_of_the_same_data_dir(tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    token = issue(Principal("li.na", "supervisor", ("station:s1",)), jwt_keys(config))
    assert verify(token, jwt_keys({"STATION_DATA_DIR": str(tmp_path)})).username == "li.na"


def test_processes_starting_together_share_one_key(tmp_path):
    code = ("import sys; from shared.security.keys import jwt_keys; "
            "print(jwt_keys({'STATION_DATA_DIR': sys.argv[1]}).signing[0])")
    env = {k: v for k, v in os.environ.items() if k != "STATION_JWT_KEYS"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(8)]
    kids = {proc.communicate(timeout=60)[0].strip().splitlines()[-1] for proc in procs}
    assert len(kids) == 1 and kids != {""}
    assert [p.name for p in tmp_path.iterdir()] == ["jwt-keys"]


def test_configured_keys_win_over_the_dev_key(tmp_path, monkeypatch):
    monkeypatch.setenv("STATION_JWT_KEYS", K1)
    assert jwt_keys({"STATION_DATA_DIR": str(tmp_path)}).signing[0] == "k1"
    assert not (tmp_path / "jwt-keys").exists()


def test_the_nameko_config_is_read_before_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STATION_JWT_KEYS", K1)
    config = {"STATION_JWT_KEYS": "k9:" + "z" * 40, "STATION_TOKEN_TTL": 120}
    assert jwt_keys(config).signing[0] == "k9" and token_ttl(config) == 120


def test_the_token_lifetime_defaults_to_an_hour():
    assert token_ttl({}) == 3600


def test_the_lookup_key_is_configured_or_generated_once(tmp_path, monkeypatch):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    generated = lookup_key(config)
    assert len(generated) >= 32 and lookup_key(config) == generated
    assert stat.S_IMODE((tmp_path / "lookup-key").stat().st_mode) == 0o600
    monkeypatch.setenv("STATION_LOOKUP_KEY", "configured-lookup-key")
    assert lookup_key(config) == b"configured-lookup-key"
