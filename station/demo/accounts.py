"""The demo's log-ins: for each station a social worker, a supervisor and its head, for
each street its leader, and the district's administrator and auditor. Passwords are
random, made once per data directory and kept in DATA_DIR/demo-logins.json (mode 600)."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from station.demo import district as d
from station.demo.plan import accounts


def users() -> list[tuple[str, str, list[str]]]:
    """(username, role, scopes) of every demo account."""
    found = []
    for station in d.STATIONS:
        names = accounts(station)
        found += [(names["worker"], "social_worker", [f"station:{station.id}"]),
                  (names["supervisor"], "supervisor", [f"station:{station.id}"]),
                  (names["head"], "station_head", [f"station:{station.id}"]),
                  (names["street"], "street_leader", [f"street:{station.street_id}"])]
    return found + [("demo-district", "district_admin", [f"district:{d.DISTRICT}"]),
                    ("demo-auditor", "auditor", [f"district:{d.DISTRICT}"])]


def create_users(config: dict, data_dir: str) -> dict[str, str]:
    """The demo accounts with fresh random passwords, written to DATA_DIR/demo-logins.json;
    accounts a newer demo added since the file was written are added to it."""
    from shared.security import users as store_of
    store = store_of.open_users(config)
    logins_file = Path(data_dir) / "demo-logins.json"
    logins = json.loads(logins_file.read_text()) if logins_file.exists() else {}
    for username, role, scopes in users():
        if username in logins:
            continue
        password = secrets.token_urlsafe(9)
        try:
            store.add(username, password, role, scopes)
        except store_of.UserExists:
            continue
        logins[username] = password
    logins_file.write_text(json.dumps(logins, ensure_ascii=False, indent=1))
    logins_file.chmod(0o600)
    return logins
