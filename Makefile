# Two commands on a fresh machine: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JS     := functions/runtime/js
BUNDLE := $(JS)/dist/prelude.js

.PHONY: install run test bench lint worker clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(BUNDLE): $(JS)/package.json $(JS)/package-lock.json $(wildcard $(JS)/src/*) $(wildcard $(JS)/*.mjs)
	npm ci --no-audit --no-fund --prefix $(JS)
	npm run build --prefix $(JS)

install: $(STAMP) $(BUNDLE)

run: install
	bash scripts/run.sh

test: install
	bash scripts/test.sh

bench: install
	bash scripts/bench.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

worker: install
	. scripts/secret_key.sh && $(VENV)/bin/celery -A workspace worker -B -l info --concurrency 2

clean:
	rm -rf $(VENV) $(JS)/node_modules $(JS)/dist var
