#!/usr/bin/env bash
# The production install, proven: the package WITHOUT extras (as deploy/Dockerfile installs
# it) in a fresh venv, then every module imported and every `station` command's --help
# (scripts/check_install.py). A module importing what pyproject.toml does not declare
# fails here as it would in the image.
#
# Fast: the declared dependencies are resolved once per pyproject.toml into a wheel cache
# (~1 min, cold); after that the fresh venv installs from it with no index (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
root=$(pwd)
key=$(sha1sum pyproject.toml | cut -c1-12)
wheels=${STATION_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/station}/wheels-$key
venv=$(mktemp -d "${TMPDIR:-/tmp}/station-install-XXXXXX")
trap 'rm -rf "$venv"' EXIT
quiet() { grep -v "^WARNING: Location" || true; }

"$PY" -m venv --without-pip "$venv"   # pip drives it from outside (--python): no ensurepip
pip=("$PY" -m pip -q --disable-pip-version-check --python "$venv/bin/python")
if [ ! -f "$wheels/.complete" ]; then
  echo "resolving the declared dependencies into $wheels (once per pyproject.toml)"
  rm -rf "$wheels" && mkdir -p "$wheels"
  "${pip[@]}" wheel -w "$wheels" "$root" "setuptools>=68" 2>&1 | quiet
  rm -f "$wheels"/station-*.whl   # the project itself is built fresh every time
  touch "$wheels/.complete"
fi
"${pip[@]}" install --no-compile --no-index --find-links "$wheels" "$root" 2>&1 | quiet
cd "$venv"   # not the source tree: the installed package is what gets imported
PATH="$venv/bin:$PATH" "$venv/bin/python" -W ignore "$root/scripts/check_install.py"
