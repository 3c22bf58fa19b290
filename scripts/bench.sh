#!/usr/bin/env bash
# `make bench`: runs every bench/*.py and prints one JSON object merging their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
. scripts/secret_key.sh
.venv/bin/python bench/run_all.py
