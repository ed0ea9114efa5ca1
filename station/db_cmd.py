"""`station db upgrade [--service S]`: migrate each service's event store and create its
read-model tables. Idempotent: a store already at the latest migration is left as it is.
Run it before a rollout (the compose `migrate` container, the k8s Job), or let each
service migrate itself at start (STATION_MIGRATE_AT_START=true, the default)."""
from __future__ import annotations

import json
import sys

import sqlalchemy as sa

from shared import migrations
from shared.stores import engine_for
from station import catalog


def upgrade(service: str, config: dict) -> dict:
    """Migrate one service's store, then bring its read models to their declared version
    (a shared.kit Projection refolds them from the events if that version changed)."""
    from shared.kit.projections import Projection
    from shared.stores import open_store
    engine = engine_for(service, config)
    try:
        before = migrations.current(engine)
        existing = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    declared = getattr(catalog.service_class(service).store, "projections", None)
    versioned = isinstance(declared, Projection)
    store = open_store(service, {**config, "STATION_MIGRATE_AT_START": True},
                       catalog.registry(service), None if versioned else declared)
    try:
        after = migrations.current(store.engine)
        tables = catalog.projections(service)
        created = sorted(set(tables.tables) - existing) if tables is not None else []
        read_models = (declared.ensure(store) if versioned
                       else "created" if created else "current")
    finally:
        store.engine.dispose()
    return {"from": before, "to": after, "read_models": read_models,
            "changed": before != after or bool(created) or read_models == "rebuilt",
            "read_model_tables_created": created}


def cmd_upgrade(args) -> int:
    from shared import logs
    from station.cli import _config, _settings
    logs.configure(_settings(args).log_level)  # JSON lines on stderr; stdout is the report
    names = [args.service] if args.service else list(catalog.SERVICES)
    if args.service:
        catalog.service_class(args.service)  # exits naming the known services if unknown
    config = _config(args)
    report = {name: upgrade(name, config) for name in names}
    for name, result in report.items():
        print(f"{name}: {result['from'] or 'empty'} -> {result['to']}"
              f"{'' if result['changed'] else ' (already up to date / 已是最新)'}", file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


def register(sub, with_data_dir) -> None:
    group = sub.add_parser("db", help="database schema").add_subparsers(dest="action",
                                                                      required=True)
    up = with_data_dir(group.add_parser("upgrade", help="migrate event stores and read models "
                                        "(idempotent)"))
    up.add_argument("--service", help="one service (default: all)")
    up.set_defaults(func=cmd_upgrade)
