#!/usr/bin/env bash
# Create .venv and install the project with its test tools (idempotent, quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "installing the project and its dependencies (first run takes a minute)"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import nameko, sqlalchemy, marshmallow, structlog, psycopg" \
    || { echo "install failed" >&2; exit 1; }
  rm -f .venv/.installed-*; touch "$stamp"
fi
# The dashboard's browser test drives Debian's Chromium through Playwright (which cannot
# download its own browser here), with a CJK font so Chinese pages render in screenshots.
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  echo "installing chromium and a CJK font for the dashboard's browser test"
  $SUDO apt-get install -y -q chromium fonts-wqy-zenhei >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 \
         && $SUDO apt-get install -y -q chromium fonts-wqy-zenhei >/dev/null; } \
    || echo "chromium could not be installed: the dashboard's browser test will fail" >&2
fi
