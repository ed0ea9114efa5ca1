"""`station config check|table`: the environment as the services will read it.

`check` validates every variable (exit 2 naming the bad ones, as every command does)
and prints the effective values with secrets hidden; `table` prints the documented
table of deploy/RUNBOOK.md from the code's own list (shared.config.VARIABLES)."""
from __future__ import annotations

import json
import sys

from shared import config


def cmd_check(_args) -> int:
    values = config.read()
    shown = {v.name: ("***" if v.secret and values[v.name] is not None else values[v.name])
             for v in config.VARIABLES}
    print(json.dumps(shown, indent=2, default=str))
    print("configuration OK / 配置有效", file=sys.stderr)
    return 0


def cmd_table(_args) -> int:
    print(config.markdown_table(), end="")
    return 0


def register(sub, _with_data_dir=None) -> None:
    group = sub.add_parser("config", help="environment variables").add_subparsers(
        dest="action", required=True)
    group.add_parser("check", help="validate the environment; secrets hidden").set_defaults(
        func=cmd_check)
    group.add_parser("table", help="the documented table, as markdown").set_defaults(
        func=cmd_table)
