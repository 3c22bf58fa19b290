#!/usr/bin/env bash
# `make serve`: the production way on the configured PostgreSQL and Redis: gunicorn (web),
# a Celery worker that recycles its children, and exactly one beat. Foreground; Ctrl-C or
# SIGTERM stops all three gracefully (in-flight tasks finish; unacknowledged ones go back).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  echo "make serve needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL" >&2
  exit 1
fi
mkdir -p var
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s var/secret-key ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret-key
  echo "DJANGO_SECRET_KEY is not set: using var/secret-key (set it in production)" >&2
  export DJANGO_SECRET_KEY="$(cat var/secret-key)"
fi
export DJANGO_DEBUG="${DJANGO_DEBUG:-0}" LOG_FORMAT="${LOG_FORMAT:-json}"
# Metrics of every process (gunicorn workers, Celery children) summed at scrape.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
pids=()
.venv/bin/celery -A workspace worker -l "${CELERY_LOG_LEVEL:-warning}" \
  --concurrency "${WORKER_CONCURRENCY:-2}" \
  --max-memory-per-child "${WORKER_MAX_MEMORY_KB:-400000}" \
  --max-tasks-per-child "${WORKER_MAX_TASKS:-5000}" \
  -n "worker@%h" &
pids+=($!)
.venv/bin/celery -A workspace beat -l "${CELERY_LOG_LEVEL:-warning}" \
  --schedule var/celerybeat-schedule &
pids+=($!)
.venv/bin/gunicorn -c deploy/gunicorn.conf.py workspace.wsgi &
pids+=($!)
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM
echo "serving on http://${BIND:-127.0.0.1:${PORT:-8000}} (web pid ${pids[2]}, worker ${pids[0]}, beat ${pids[1]})"
wait -n "${pids[@]}"
