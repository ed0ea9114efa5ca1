"""Configuration, read from the environment in one place, with local defaults.

Nothing here connects to anything: callers build engines and connections when they
start, never at import time.
"""
from __future__ import annotations

import dataclasses
import os

from shared import deployment


@dataclasses.dataclass(frozen=True)
class Settings:
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str | None = None
    data_dir: str = "station-data"
    rpc_timeout: float = 10.0
    log_level: str = "INFO"
    # Subscribers retry a failing message this many times, this far apart, then park it.
    max_retries: int = 3
    retry_delay_ms: int = 1000
    # A relay renews its lease this often (well within); a dead or hung one loses it after this.
    relay_lease_s: float = 15.0
    # Prefixes this deployment's names on the broker (shared.deployment); None: derived.
    deployment: str | None = None

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        values = {
            "amqp_uri": env.get("AMQP_URI", cls.amqp_uri),
            "database_url": env.get("DATABASE_URL") or None,
            "data_dir": env.get("STATION_DATA_DIR", cls.data_dir),
            "rpc_timeout": float(env.get("RPC_TIMEOUT", cls.rpc_timeout)),
            "log_level": env.get("LOG_LEVEL", cls.log_level),
            "max_retries": int(env.get("MAX_RETRIES", cls.max_retries)),
            "retry_delay_ms": int(env.get("RETRY_DELAY_MS", cls.retry_delay_ms)),
            "relay_lease_s": float(env.get("RELAY_LEASE_S", cls.relay_lease_s)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        name = overrides.get("deployment")
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
            "DEPLOYMENT": self.deployment or "",
            "rpc_exchange": deployment.rpc_exchange(self.deployment or ""),
            "max_workers": 10,
            "serializer": "json",
        }
        if web_address:
            config["WEB_SERVER_ADDRESS"] = web_address
        return config
