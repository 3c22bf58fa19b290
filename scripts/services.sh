#!/usr/bin/env bash
# Exports DATABASE_URL / REDIS_URL for the local PostgreSQL and Redis when they answer.
# Sourced by scripts/test.sh and scripts/bench.sh.
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() {
  if command -v redis-cli >/dev/null; then redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG
  else (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; fi
}
if [ -z "${DATABASE_URL:-}" ] && pg_up; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -z "${REDIS_URL:-}" ] && redis_up; then
  export REDIS_URL="redis://127.0.0.1:6379/15"
fi
