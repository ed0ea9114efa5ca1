"""`station import residents FILE --station ID [--dry-run]`: a roster file into the store.

The same operation as POST /api/v1/imports/residents (services.residents.import_run: the
residents service's own checks, commands and handlers), run where the store is, like
`station onboard`: no token, the operator's login name as the events' actor
(`cli:<user>`), with a station head's authority (their first cards are recorded as a
station head's override would be). No row limit besides MAX_ROWS: the rows are written
in batches, each batch one transaction, each row all or nothing.

Prints a progress bar on stderr; then on stdout each refused row (row, column, the
message in Chinese and English) and one summary line
`N rows: A new, B unchanged, C updated, D refused`. Exit 0 when nothing was refused,
1 otherwise (2 when the file itself cannot be read).
"""
from __future__ import annotations

import getpass
import sys
import time
from datetime import datetime, timezone

MAX_ROWS = 200_000
STATION_AUTHORITY = "station_head"


class Bar:
    """A progress bar on stderr: in place on a terminal, at each tenth otherwise."""

    def __init__(self, out=sys.stderr, width: int = 30):
        self.out, self.width = out, width
        self.tty, self.started, self.last = out.isatty(), time.monotonic(), -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        tenth = int(share * 10)
        if not self.tty and tenth == self.last:
            return
        self.last = tenth
        filled = int(share * self.width)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = (f"  [{'█' * filled}{'░' * (self.width - filled)}] {done}/{total} "
                f"{share:>4.0%}  {rate:,.0f} rows/s")
        self.out.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            self.out.write("\n")
        self.out.flush()


def operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def summary_line(report: dict) -> str:
    return (f"{report['rows']} rows: {report['new']} new, {report['unchanged']} unchanged, "
            f"{report['updated']} updated, {report['refused']} refused")


def cmd_import_residents(args) -> int:
    from shared import logs
    from shared.kit.errors import DomainError
    from shared.security import keys
    from shared.stores import open_store
    from shared import import_sheet
    from services.residents import handlers, import_run, imports, projections
    from station import catalog
    from station.cli import _config

    logs.configure("WARNING")
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
        kind = "text/csv" if args.file.lower().endswith(".csv") else None
        table = import_sheet.read(data, kind, imports.known_header, MAX_ROWS)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}\n无法读取文件 {args.file}", file=sys.stderr)
        return 2
    except (DomainError, import_sheet.TooLarge) as exc:
        print(f"{exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 2
    config = _config(args)
    store = open_store("residents", config, catalog.registry("residents"),
                       projections.projection)   # as the service opens it (no nameko here)
    try:
        now = datetime.now(timezone.utc)
        handlers.seed_org(store, now)
        who = import_run.Importer(operator(), STATION_AUTHORITY, keys.lookup_key(config))
        report = import_run.run(store, table, args.station, who, dry_run=args.dry_run, now=now,
                                progress=Bar())
    except DomainError as exc:
        details = "".join(f"\n  {f}: {'; '.join(map(str, m))}" for f, m in exc.fields.items())
        print(f"{exc.message}\n{exc.message_zh}{details}", file=sys.stderr)
        return 2
    finally:
        store.engine.dispose()
    body = report.as_dict()
    for error in body["errors"]:
        print(f"row {error['row']} · {error['column']}: {error['message_zh']} / {error['message']}")
    print(summary_line(body) + (" (dry run: nothing written / 试运行，未写入)" if args.dry_run else ""))
    return 0 if body["refused"] == 0 else 1


def cmd_import_activities(args) -> int:
    """`station import organizations|volunteers FILE --station ID [--dry-run]`: the same
    shape as residents, into the activities store; the station's communities are read
    from the residents' store (their org tree), where they are kept."""
    from shared import import_sheet, logs
    from shared.kit.errors import DomainError
    from shared.stores import open_store
    from services.activities import import_run, projections, rules
    from services.residents import handlers as residents_handlers
    from services.residents import projections as residents_projections
    from station import catalog
    from station.cli import _config

    logs.configure("WARNING")
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
        kind = "text/csv" if args.file.lower().endswith(".csv") else None
        table = import_sheet.read(data, kind, import_run.known_header(args.action), MAX_ROWS)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}\n无法读取文件 {args.file}", file=sys.stderr)
        return 2
    except (DomainError, import_sheet.TooLarge) as exc:
        print(f"{exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 2
    config = _config(args)
    now = datetime.now(timezone.utc)
    residents = open_store("residents", config, catalog.registry("residents"),
                           residents_projections.projection)
    try:
        residents_handlers.seed_org(residents, now)
        tree = residents_handlers.load_org(residents)
    finally:
        residents.engine.dispose()
    if tree.get("station", args.station) is None:
        print("Unknown station\n社工站不存在", file=sys.stderr)
        return 2
    communities = {}
    for node in tree.children("community", args.station):
        communities.update({node.id: node.id, node.name: node.id,
                            node.name.removesuffix("社区"): node.id})
    store = open_store("activities", config, catalog.registry("activities"),
                       projections.projection)
    try:
        report = import_run.run(store, args.action, table, args.station, operator(), communities,
                                dry_run=args.dry_run, today=rules.today(now), now=now,
                                progress=Bar())
    except DomainError as exc:
        details = "".join(f"\n  {f}: {'; '.join(map(str, m))}" for f, m in exc.fields.items())
        print(f"{exc.message}\n{exc.message_zh}{details}", file=sys.stderr)
        return 2
    finally:
        store.engine.dispose()
    return _print_report(report.as_dict(), args.dry_run)


def _print_report(body: dict, dry_run: bool) -> int:
    for error in body["errors"]:
        print(f"row {error['row']} · {error['column']}: {error['message_zh']} / {error['message']}")
    print(summary_line(body) + (" (dry run: nothing written / 试运行，未写入)" if dry_run else ""))
    return 0 if body["refused"] == 0 else 1


def register(sub, with_data_dir) -> None:
    what = sub.add_parser("import", help="bring a station's records in from a file").add_subparsers(
        dest="action", required=True)
    residents = with_data_dir(what.add_parser(
        "residents", help="residents from a roster (XLSX or CSV, the template's columns)"))
    residents.add_argument("file", help="the roster, .xlsx or .csv")
    residents.add_argument("--station", required=True, help="the station's id")
    residents.add_argument("--dry-run", action="store_true",
                           help="check every row and report, write nothing")
    residents.set_defaults(func=cmd_import_residents)
    for kind, text in (("organizations", "community organizations with their members (one "
                                         "row per member)"),
                       ("volunteers", "volunteers")):
        parser = with_data_dir(what.add_parser(kind, help=f"{text}, from XLSX or CSV"))
        parser.add_argument("file", help="the sheet, .xlsx or .csv")
        parser.add_argument("--station", required=True, help="the station's id")
        parser.add_argument("--dry-run", action="store_true",
                            help="check every row and report, write nothing")
        parser.set_defaults(func=cmd_import_activities)
