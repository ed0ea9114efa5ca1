"""`station deploy render|check`: the generated deployment files, from the catalog.

Every file here is a function of station/catalog.py, so adding a service or a route is
one edit in the catalog and one `station deploy render`; `check` (and the test suite)
fails when a committed file differs from what would be rendered.
"""
from __future__ import annotations

import pathlib
import sys

from station import ingress

REPO = pathlib.Path(__file__).resolve().parent.parent


def rendered() -> dict[str, str]:
    """{path relative to the repository: text}."""
    return {"deploy/ingress.conf": ingress.nginx_conf()}


def stale(root: pathlib.Path = REPO) -> list[str]:
    """Files whose committed text differs from the rendering (missing ones included)."""
    return [path for path, text in rendered().items()
            if not (root / path).exists() or (root / path).read_text() != text]


def cmd_render(args) -> int:
    root = pathlib.Path(args.root or REPO)
    for path, text in rendered().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        print(path, file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    out_of_date = stale(pathlib.Path(args.root or REPO))
    for path in out_of_date:
        print(f"{path}: differs from `station deploy render` / 与生成结果不一致", file=sys.stderr)
    return 1 if out_of_date else 0


def register(sub) -> None:
    deploy = sub.add_parser("deploy", help="generated deployment files").add_subparsers(
        dest="action", required=True)
    for name, func, text in (("render", cmd_render, "write deploy/ files from the catalog"),
                             ("check", cmd_check, "exit 1 if a deploy/ file is out of date")):
        command = deploy.add_parser(name, help=text)
        command.add_argument("--root", help="repository root (default: this checkout)")
        command.set_defaults(func=func)
