"""Run by scripts/check-install.sh inside a fresh venv holding the package without extras:
import every module of shared, services and station, then ask every `station` command
for its --help. A module that imports something pyproject.toml does not declare fails
here, as it would in the production image (deploy/Dockerfile installs without extras)."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import pkgutil
import subprocess
import sys

PACKAGES = ("shared", "services", "station")
# Not importable on their own, by design: alembic runs its env script inside a migration.
NOT_MODULES = {"shared.migrations.env": "run by alembic with its context configured"}


def module_names() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package_name + ".")]
    return [name for name in names if name not in NOT_MODULES]


def command_paths(parser: argparse.ArgumentParser, prefix=()) -> list[tuple[str, ...]]:
    """Every path of subcommands the parser offers (`events verify`, `parked list` …)."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                paths += command_paths(child, prefix + (name,))
    return paths


def help_of(main, path: tuple[str, ...]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*path, "--help"])
    return out.getvalue()


def main() -> int:
    failures = []
    names = module_names()
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - each failure is reported by name
            failures.append(f"import {name}: {type(exc).__name__}: {exc}")
    from station import cli
    paths = command_paths(cli.parser())
    for path in paths:
        if "usage: station" not in help_of(cli.main, path):
            failures.append(f"station {' '.join(path)} --help: no usage printed")
    script = subprocess.run(["station", "--help"], capture_output=True, text=True)
    if script.returncode != 0:
        failures.append(f"the station script: {script.stderr.strip()}")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{len(names)} modules imported, {len(paths)} commands' --help, "
          f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
