# Two commands on a fresh machine: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JS     := functions/runtime/js
BUNDLE := $(JS)/dist/prelude.js

.PHONY: install run serve test bench lint worker clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(BUNDLE): $(JS)/package.json $(JS)/package-lock.json $(wildcard $(JS)/src/*) $(wildcard $(JS)/*.mjs)
	npm ci --no-audit --no-fund --prefix $(JS)
	npm run build --prefix $(JS)

CHARTS := static/console/dist/charts.js
$(CHARTS): frontend/charts/package.json frontend/charts/package-lock.json $(wildcard frontend/charts/src/*)
	npm ci --no-audit --no-fund --prefix frontend/charts
	npm run build --prefix frontend/charts

install: $(STAMP) $(BUNDLE) $(CHARTS)

run: install
	bash scripts/run.sh

serve: install
	bash scripts/serve.sh

test: install
	bash scripts/test.sh

bench: install
	bash scripts/bench.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

worker: install
	$(VENV)/bin/celery -A workspace worker -B -l info --concurrency 2

clean:
	rm -rf $(VENV) $(JS)/node_modules $(JS)/dist frontend/*/node_modules static/console/dist var
