#!/usr/bin/env bash
# `make run`: migrate, seed the demo workspace, serve on 127.0.0.1:8000 with a worker and beat.
# DEBUG stays off (an error is a plain 500 page); static files are collected and served by
# WhiteNoise; set DJANGO_DEBUG=1 for tracebacks while developing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
. scripts/secret_key.sh
# The demo webhook destination posts to this server on 127.0.0.1.
export FUNCTIONS_ALLOW_PRIVATE_FETCH="${FUNCTIONS_ALLOW_PRIVATE_FETCH:-1}"
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo
.venv/bin/celery -A workspace worker -B -l warning --concurrency 2 \
  --schedule var/celerybeat-schedule &
worker=$!
stop_worker() {
  kill "$worker" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 "$worker" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$worker" 2>/dev/null || true  # a worker with embedded beat can hang on shutdown
}
trap stop_worker EXIT INT TERM
$PY manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload
