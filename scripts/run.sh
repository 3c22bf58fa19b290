#!/usr/bin/env bash
# `make run`: migrate, seed the demo workspace, serve on 127.0.0.1:8000 with a worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# The demo webhook destination posts to this server on 127.0.0.1.
export FUNCTIONS_ALLOW_PRIVATE_FETCH="${FUNCTIONS_ALLOW_PRIVATE_FETCH:-1}"
$PY manage.py migrate --noinput
$PY manage.py seed_demo
.venv/bin/celery -A workspace worker -B -l warning --concurrency 2 \
  --schedule var/celerybeat-schedule &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
$PY manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload
