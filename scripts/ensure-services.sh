#!/usr/bin/env bash
# Start RabbitMQ and PostgreSQL on this machine if they are down, and wait until both answer.
# Skipped for a service whose URL points elsewhere (AMQP_URI / DATABASE_URL set to another host).
# Usage: ensure-services.sh [rabbitmq] [postgres]   (both when none is named)
set -uo pipefail
want=" ${*:-rabbitmq postgres} "

wait_for() {  # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq "$secs"); do "$@" >/dev/null 2>&1 && { echo "$name: up"; return 0; }; sleep 1; done
  echo "$name: did not answer within ${secs}s" >&2; return 1
}

amqp_up() { python3 - <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 5672), timeout=2); s.sendall(b"AMQP\x00\x00\x09\x01")
sys.exit(0 if s.recv(1) else 1)
PY
}

if [[ $want == *" rabbitmq "* ]] && [[ "${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}" == *"127.0.0.1"* || "${AMQP_URI:-}" == *localhost* ]]; then
  if ! amqp_up; then
    echo "RabbitMQ is down: starting it"
    rabbitmq-server -detached || true
  fi
  wait_for RabbitMQ 90 amqp_up || exit 1
  command -v rabbitmqctl >/dev/null && rabbitmqctl -q await_startup >/dev/null 2>&1 || true
fi

if [[ $want == *" postgres "* ]] && [[ "${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}" == *"127.0.0.1"* || "${DATABASE_URL:-}" == *localhost* ]]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  wait_for PostgreSQL 60 pg_isready -h 127.0.0.1 -p 5432 -q || exit 1
fi
