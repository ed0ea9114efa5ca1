#!/usr/bin/env bash
# The main job: install, make sure the broker answers, start every service with a demo
# station on the embedded default (SQLite files under ./station-data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AMQP_URI=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
bash scripts/ensure-services.sh rabbitmq >/dev/null
unset DATABASE_URL
exec .venv/bin/station up "$@"
