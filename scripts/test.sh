#!/usr/bin/env bash
# The test command: install, make sure the broker and database answer, check the
# architecture contracts, then run every test on the real RabbitMQ and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AMQP_URI=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
bash scripts/ensure-services.sh
echo "== import contracts"
.venv/bin/lint-imports
echo "== the package without extras, as the production image installs it"
bash scripts/check-install.sh
echo "== tests that stop the shared broker, alone"
status=0
.venv/bin/python -m pytest -m serial "$@" || status=$?
[ "$status" -eq 5 ] && status=0   # none selected by the arguments
[ "$status" -eq 0 ] || exit "$status"
echo "== all other tests, ${TEST_WORKERS:-4} at a time (one file per worker: module fixtures stay whole)"
.venv/bin/python -m pytest -m "not serial and not faults" -n "${TEST_WORKERS:-4}" --dist loadfile --no-loadscope-reorder "$@"
