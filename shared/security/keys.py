"""Key material from configuration, with development defaults in the data directory.

    STATION_JWT_KEYS    kid:secret,kid:secret   the first signs, all verify (tokens.py)
    STATION_TOKEN_TTL   seconds a token lives (default 3600)
    STATION_LOOKUP_KEY  secret of the keyed hash of ID numbers (lookup.py)
    STATION_SERVICE_KEY secret of the services' RPC credentials (shared.kit.rpc)

Each is read from the nameko config mapping first, then the environment. When a key
is not configured, a random one is generated once into the data directory
(`{data_dir}/jwt-keys`, `{data_dir}/lookup-key`, `{data_dir}/service-key`, mode 0600) and read from there, so
`station up` works out of the box and every service process of one data directory
shares the same key. Production sets the environment variables instead.
"""
from __future__ import annotations

import os
import pathlib
import secrets
from typing import Mapping

from shared import logs
from shared.security.tokens import DEFAULT_TTL, SigningKeys

JWT_KEY_FILE = "jwt-keys"
LOOKUP_KEY_FILE = "lookup-key"
SERVICE_KEY_FILE = "service-key"
log = logs.get("security")
_warned: set[pathlib.Path] = set()


def setting(config: Mapping | None, name: str, default: str | None = None) -> str | None:
    value = (config or {}).get(name)
    return str(value) if value not in (None, "") else os.environ.get(name) or default


def data_dir(config: Mapping | None) -> pathlib.Path:
    return pathlib.Path(setting(config, "STATION_DATA_DIR", "station-data"))


def jwt_keys(config: Mapping | None = None) -> SigningKeys:
    configured = setting(config, "STATION_JWT_KEYS")
    if configured:
        return SigningKeys.parse(configured)
    path = data_dir(config) / JWT_KEY_FILE
    text = dev_secret_file(path, lambda: f"dev-{secrets.token_hex(4)}:{secrets.token_urlsafe(48)}\n")
    if setting(config, "DATABASE_URL") and path not in _warned:
        # Containers with data directories of their own would each sign with their own key.
        _warned.add(path)
        log.warning("security.dev_jwt_key_in_use", file=str(path),
                    hint="set STATION_JWT_KEYS on every service process")
    return SigningKeys.parse(text)


def token_ttl(config: Mapping | None = None) -> int:
    return int(setting(config, "STATION_TOKEN_TTL", str(DEFAULT_TTL)))


def lookup_key(config: Mapping | None = None) -> bytes:
    configured = setting(config, "STATION_LOOKUP_KEY")
    if configured:
        return configured.encode()
    path = data_dir(config) / LOOKUP_KEY_FILE
    return dev_secret_file(path, lambda: secrets.token_urlsafe(48) + "\n").strip().encode()


def service_key(config: Mapping | None = None) -> str:
    """The key services sign their RPC credentials with (not the people's token keys:
    a person's token can never pass for a service's)."""
    configured = setting(config, "STATION_SERVICE_KEY")
    if configured:
        return configured
    path = data_dir(config) / SERVICE_KEY_FILE
    return dev_secret_file(path, lambda: secrets.token_urlsafe(48) + "\n").strip()


def dev_secret_file(path: pathlib.Path, make) -> str:
    """The file's text, writing `make()` into it first if it does not exist.

    Safe when several processes start at once: the content is written to a private
    temporary file and linked into place, which fails if another process won the race,
    so every process reads the same, complete file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
            os.link(tmp, path)
            log.warning("security.dev_key_created", file=str(path))
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text()
