#!/usr/bin/env bash
# The fault suite (issue 20, item 8): the five services on a private RabbitMQ node and
# PostgreSQL cluster of its own, one fault per scenario under load, the table printed.
# Not in scripts/test.sh: it takes about 15 minutes on this 2-core machine, which would
# put CI over its 30-minute budget (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -p no:cacheprovider -m faults -s tests/faults "$@"
