"""Configuration: environment variables only, read and validated in one place.

`VARIABLES` is the one table of every variable the code reads. `Settings.from_env()`
checks them all at start and raises `ConfigError` naming each bad variable and what it
should look like (a secret's value is never echoed). The operators' table in
deploy/RUNBOOK.md is `markdown_table()`; a test keeps the two equal, and another finds
every variable the code reads and checks it is here. Adding a variable is one row.

Nothing here connects to anything: callers build engines and connections when they
start, never at import time.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from typing import Callable, Mapping
from urllib.parse import urlsplit

from shared import deployment


class ConfigError(ValueError):
    """One or more environment variables are malformed; `problems` names each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("bad configuration / 配置错误:\n" + "\n".join(f"  {p}" for p in problems))


# -- parsers: text -> value, or ValueError ------------------------------------------------

def text(value: str) -> str:
    if not value.strip():
        raise ValueError("empty")
    return value


def url(*schemes: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError("not a URL of that kind")
        return value
    return parse


def number(kind: type, minimum: float) -> Callable[[str], object]:
    def parse(value: str):
        parsed = kind(value)
        if parsed < minimum:
            raise ValueError("too small")
        return parsed
    return parse


def choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.strip().lower() not in options:
            raise ValueError("not one of the options")
        return value.strip().lower()
    return parse


def boolean(value: str) -> bool:
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[
        value.strip().lower()]


def host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", value):
            raise
    return value


def signing_keys(value: str) -> str:
    pairs = [item.strip().partition(":") for item in re.split(r"[,\n]", value) if item.strip()]
    if not pairs or any(not kid or not sep or len(secret) < 32 for kid, sep, secret in pairs):
        raise ValueError("bad key list")
    return value


def rate(value: str) -> str:
    count, sep, seconds = value.partition("/")
    if not sep or int(count) < 1 or float(seconds) <= 0:
        raise ValueError("not COUNT/SECONDS")
    return value


def long_secret(value: str) -> str:
    if len(value.strip()) < 32:
        raise ValueError("too short")
    return value


def existing_file(value: str) -> str:
    if not os.path.isfile(value):
        raise ValueError("no such file")
    return value


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    default: str | None         # None: unset unless given
    parse: Callable[[str], object]
    shape: str                  # what a good value looks like (said in the error)
    meaning: str
    field: str | None = None    # the Settings field it fills; None: read elsewhere, checked here
    secret: bool = False        # never echoed in errors


VARIABLES: tuple[Variable, ...] = (
    Variable("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", url("amqp", "amqps"),
             "amqp://USER:PASSWORD@HOST:5672/VHOST (or amqps://)", "the broker",
             "amqp_uri", secret=True),
    Variable("DATABASE_URL", None, url("postgres", "postgresql", "postgresql+psycopg"),
             "postgresql://USER:PASSWORD@HOST:5432/DB", "PostgreSQL; each service gets its own "
             "schema. Unset: SQLite files in STATION_DATA_DIR", "database_url", secret=True),
    Variable("STATION_DATA_DIR", "station-data", text, "a directory path",
             "SQLite files and development keys (`--data-dir` overrides)", "data_dir"),
    Variable("STATION_BIND_HOST", "127.0.0.1", host, "an IP address or host name, e.g. 0.0.0.0",
             "address `station serve` listens on (0.0.0.0 in a container)", "bind_host"),
    Variable("RPC_TIMEOUT", "10", number(float, 0.1), "seconds, a number >= 0.1",
             "timeout of RPC reads between services", "rpc_timeout"),
    Variable("LOG_LEVEL", "INFO", choice("debug", "info", "warning", "error"),
             "DEBUG, INFO, WARNING or ERROR", "structlog JSON lines on stderr; no personal data",
             "log_level"),
    Variable("MAX_RETRIES", "3", number(int, 0), "a whole number >= 0",
             "a failing event is retried this often, then parked", "max_retries"),
    Variable("RETRY_DELAY_MS", "1000", number(int, 0), "milliseconds, a whole number >= 0",
             "delay between retries of a failing event", "retry_delay_ms"),
    Variable("STATION_QUEUE_TYPE", "classic", choice("classic", "quorum"), "classic or quorum",
             "RabbitMQ queue type: quorum on a clustered broker, classic on one node "
             "(the same on every process)", "queue_type"),
    Variable("STATION_MIGRATE_AT_START", "true", boolean, "true or false",
             "migrate the store when a service starts; false: run `station db upgrade` first",
             "migrate_at_start"),
    Variable("STATION_JWT_KEYS", None, signing_keys,
             "kid:secret[,kid:secret], each secret >= 32 characters; the first signs",
             "token signing keys, the same on every service. Unset: a development key "
             "in STATION_DATA_DIR", secret=True),
    Variable("STATION_TOKEN_TTL", "3600", number(int, 60), "seconds, a whole number >= 60",
             "how long a bearer token lives"),
    Variable("STATION_LOOKUP_KEY", None, long_secret, "a secret of >= 32 characters",
             "key of the keyed hash of ID numbers (partner lookup). Unset: a development key "
             "in STATION_DATA_DIR", secret=True),
    Variable("STATION_SERVICE_KEY", None, long_secret, "a secret of >= 32 characters",
             "key of the services' RPC credentials (shared.kit.rpc), the same on every "
             "service. Unset: a development key in STATION_DATA_DIR", secret=True),
    Variable("RELAY_LEASE_S", "15", number(float, 1), "seconds, a number >= 1",
             "a relay renews its lease well within this; a dead or hung one loses it after it",
             "relay_lease_s"),
    Variable("STATION_FRESHNESS_WAIT_S", "2", number(float, 0), "seconds, a number >= 0",
             "a request naming a resident (community, station, need) another service has "
             "not heard of yet waits this long at most for that service's events, then is "
             "decided again (shared.freshness); 0: never waits", "freshness_wait_s"),
    Variable("STATION_SOURCE_CHECK_S", "30", number(float, 0), "seconds, a number >= 0",
             "each consumer asks its sources this often whether their store was restored "
             "from an older backup or replaced while they write nothing (then it "
             "resynchronises: shared.inbox_sync); 0: only when a message shows it",
             "source_check_s"),
    Variable("STATION_DEPLOYMENT", None, text, "letters, digits, - and _ (set but empty: "
             "no prefix)", "names this deployment's exchanges, queues and RPC on the broker. "
             "Unset: derived from the data directory or database"),
    Variable("STATION_SIGNING_PUBLIC_KEYS", None, text,
             "service:kid:base64,... (`station keys new SERVICE` prints them)",
             "every service's Ed25519 public keys, on every process (event signatures). Unset: "
             "the development key files in STATION_DATA_DIR"),
    *(Variable(f"STATION_SIGNING_KEY_{service.upper()}", None, text,
               "kid:base64 (`station keys new SERVICE` prints it)",
               f"{service}'s Ed25519 private key, on {service}'s processes only. Unset: a "
               "development key file in STATION_DATA_DIR", secret=True)
      for service in ("residents", "casework", "activities", "resources", "reporting")),
    Variable("STATION_LOOKUP_RATE", "10/60", rate, "COUNT/SECONDS, e.g. 10/60",
             "partner lookups one caller may make in that window (429 beyond)"),
    Variable("STATION_TRUSTED_PROXIES", None, text, "IP addresses, comma-separated",
             "proxies whose X-Forwarded-For names the client (log-in throttling by address)"),
    Variable("STATION_LOGIN_ACCOUNT_FAILURES", "5", number(int, 1), "a whole number >= 1",
             "failed log-ins of one account within the window that lock it"),
    Variable("STATION_LOGIN_ADDRESS_FAILURES", "20", number(int, 1), "a whole number >= 1",
             "failed log-ins from one address within the window that lock it"),
    Variable("STATION_LOGIN_WINDOW_S", "900", number(float, 1), "seconds, a number >= 1",
             "the window failed log-ins are counted in"),
    Variable("STATION_LOGIN_LOCK_S", "60", number(float, 1), "seconds, a number >= 1",
             "the first lock; each next one doubles"),
    Variable("STATION_LOGIN_MAX_LOCK_S", "3600", number(float, 1), "seconds, a number >= 1",
             "the longest lock"),
    Variable("STATION_IDEMPOTENCY_DAYS", "14", number(float, 14), "days, a number >= 14",
             "how long a POST's Idempotency-Key and its answer are kept (API.md: at least 14)"),
    Variable("CASEWORK_POLICY_FILE", None, existing_file, "path of a JSON file",
             "casework follow-up policy (default: the one shipped)"),
    Variable("CASEWORK_AGENCIES_FILE", None, existing_file, "path of a JSON file",
             "casework referral agencies (default: the ones shipped)"),
)


def read(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """{variable name: parsed value or None}, every row checked; ConfigError lists all bad."""
    env = os.environ if env is None else env
    values, problems = {}, []
    for var in VARIABLES:
        raw = env.get(var.name)
        if raw in (None, ""):
            raw = var.default
        if raw is None:
            values[var.name] = None
            continue
        try:
            values[var.name] = var.parse(raw)
        except (ValueError, KeyError, TypeError):
            shown = "" if var.secret else f" (got {raw!r})"
            problems.append(f"{var.name}: should be {var.shape}{shown} / 格式应为 {var.shape}")
    if problems:
        raise ConfigError(problems)
    return values


def markdown_table() -> str:
    rows = ["| variable | default | what it should look like | meaning |", "|---|---|---|---|"]
    rows += [f"| `{v.name}` | {f'`{v.default}`' if v.default is not None else 'unset'} | "
             f"{v.shape} | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows) + "\n"


@dataclasses.dataclass(frozen=True)
class Settings:
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str | None = None
    data_dir: str = "station-data"
    bind_host: str = "127.0.0.1"
    rpc_timeout: float = 10.0
    log_level: str = "INFO"
    # Subscribers retry a failing message this many times, this far apart, then park it.
    max_retries: int = 3
    retry_delay_ms: int = 1000
    queue_type: str = "classic"
    migrate_at_start: bool = True
    # A relay renews its lease this often (well within); a dead or hung one loses it after this.
    relay_lease_s: float = 15.0
    # A refusal resting on another service's events waits this long for them (shared.freshness).
    freshness_wait_s: float = 2.0
    # A consumer asks its sources this often whether their store was restored (shared.inbox_sync).
    source_check_s: float = 30.0
    # Prefixes this deployment's names on the broker (shared.deployment); None: derived.
    deployment: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = read(env)
        fields = {v.field: values[v.name] for v in VARIABLES if v.field}
        fields["log_level"] = str(fields["log_level"]).upper()
        name = overrides.pop("deployment", None)
        fields.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**fields)
        # Set but empty keeps the unprefixed names of older deployments (shared.deployment).
        name = env.get("STATION_DEPLOYMENT") if name is None else name
        if name is None:
            name = deployment.derive(settings.data_dir, settings.database_url)
        return dataclasses.replace(settings, deployment=deployment.check(name))

    def nameko_config(self, web_address: str | None = None) -> dict:
        config = {
            "AMQP_URI": self.amqp_uri,
            "DATABASE_URL": self.database_url,
            "STATION_DATA_DIR": self.data_dir,
            "RPC_TIMEOUT": self.rpc_timeout,
            "MAX_RETRIES": self.max_retries,
            "RETRY_DELAY_MS": self.retry_delay_ms,
            "STATION_MIGRATE_AT_START": self.migrate_at_start,
            "STATION_FRESHNESS_WAIT_S": self.freshness_wait_s,
            "STATION_SOURCE_CHECK_S": self.source_check_s,
            "STATION_DEPLOYMENT": self.deployment or "",
            "rpc_exchange": deployment.rpc_exchange(self.deployment or ""),
            "max_workers": 10,
            "serializer": "json",
        }
        if web_address:
            config["WEB_SERVER_ADDRESS"] = web_address
        return config
