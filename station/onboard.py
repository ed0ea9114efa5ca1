"""`station onboard PLAN.json --logins FILE`: a new station with one command.

The plan names the station, its street (added under a district if it is new), its
communities and its first users:

    {"district": "nanming",
     "street": {"id": "xinhua", "name": "新华路街道"},
     "station": {"id": "xinhua-station", "name": "新华路街道社工站"},
     "communities": [{"id": "fushui", "name": "富水社区"}],
     "users": [{"username": "wang.head", "role": "station_head"},
               {"username": "li.worker", "role": "social_worker"}]}

Org nodes go through the residents service's own command handlers (events, as
`station org add-*` does); users through the identity store, each scoped to the new
station unless the plan gives `scopes`, with a random password written to the logins
file (mode 0600, never printed). Running the same plan again adds only what is missing.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import datetime, timezone


def org_steps(plan: dict) -> list[tuple[str, str, str, str]]:
    """[(kind, id, parent id, name)] from the plan, parents first."""
    station = plan["station"]
    steps = []
    if "street" in plan:
        steps.append(("street", plan["street"]["id"], plan["district"], plan["street"]["name"]))
    street_id = plan["street"]["id"] if "street" in plan else plan["street_id"]
    steps.append(("station", station["id"], street_id, station["name"]))
    steps += [("community", c["id"], station["id"], c["name"]) for c in plan.get("communities", ())]
    return steps


def add_org(store, plan: dict, now: datetime) -> list[dict]:
    from services.residents import commands, handlers
    handlers.seed_org(store, now)
    done = []
    for kind, node_id, parent_id, name in org_steps(plan):
        if handlers.load_org(store).get(kind, node_id) is not None:
            done.append({"kind": kind, "id": node_id, "status": "exists"})
            continue
        parent = {"street": "district", "station": "street", "community": "station"}[kind]
        command = getattr(commands, "Add" + kind.capitalize())(
            **{f"{kind}_id": node_id, f"{parent}_id": parent_id}, name=name, actor="onboard")
        handlers.handle(store, command, now)
        done.append({"kind": kind, "id": node_id, "status": "added"})
    return done


def add_users(user_store, plan: dict) -> tuple[list[dict], dict[str, str]]:
    from shared.security.users import UserExists
    done, logins = [], {}
    scope = f"station:{plan['station']['id']}"
    for user in plan.get("users", ()):
        password = secrets.token_urlsafe(18)
        try:
            user_store.add(user["username"], password, user["role"], user.get("scopes", [scope]),
                           actor="onboard")
        except UserExists:
            done.append({"username": user["username"], "status": "exists"})
            continue
        logins[user["username"]] = password
        done.append({"username": user["username"], "role": user["role"], "status": "added"})
    return done, logins


def write_logins(path: str, logins: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(logins, handle, ensure_ascii=False, indent=2)


def cmd_onboard(args) -> int:
    from shared.kit.errors import DomainError
    from shared import logs
    from shared.security import principal, users
    from shared.stores import open_store
    from station import catalog
    from station.cli import _config

    logs.configure("WARNING")
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    try:  # every account checked before anything is written
        for user in plan.get("users", ()):
            principal.check_username(user["username"])
            principal.check_role(user["role"])
            principal.check_scopes(user.get("scopes", [f"station:{plan['station']['id']}"]))
    except principal.InvalidPrincipal as exc:
        print(f"{exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 1
    config = _config(args)
    store = open_store("residents", config, catalog.registry("residents"))
    try:
        org = add_org(store, plan, datetime.now(timezone.utc))
        people, logins = add_users(users.open_users(config), plan)
    except DomainError as exc:
        details = "".join(f"\n  {f}: {'; '.join(map(str, m))}" for f, m in exc.fields.items())
        print(f"{exc.message}\n{exc.message_zh}{details}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    if logins:
        write_logins(args.logins, logins)
    print(json.dumps({"org": org, "users": people,
                      "logins_file": args.logins if logins else None}, ensure_ascii=False, indent=2))
    return 0


def register(sub, with_data_dir) -> None:
    command = with_data_dir(sub.add_parser(
        "onboard", help="add a station: its street, communities and first users, from a plan"))
    command.add_argument("plan", help="the plan, a JSON file (see deploy/RUNBOOK.md)")
    command.add_argument("--logins", required=True,
                         help="where to write the new users' passwords (mode 0600)")
    command.set_defaults(func=cmd_onboard)
