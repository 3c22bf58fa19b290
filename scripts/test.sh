#!/usr/bin/env bash
# `make test`: lint, migrations check, then pytest against PostgreSQL + Redis when reachable
# (required in CI), else the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
if [ "${CI:-}" = "true" ] && { [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; }; then
  echo "CI needs PostgreSQL and Redis on localhost; start them (see .ci/run)" >&2
  exit 1
fi
# The browser tests drive Debian's Chromium (no browser download from the test tool).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "Chromium is missing: install the Debian package chromium (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi
# A fixed test-only DJANGO_SECRET_KEY and plain static storage (tests/settings.py), also for
# mypy's Django plugin and `makemigrations --check`.
export DJANGO_SETTINGS_MODULE=tests.settings
echo "database: ${DATABASE_URL:-embedded sqlite}  broker: ${REDIS_URL:-embedded filesystem}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy workspace functions delivery
.venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/python -m pytest "$@"
