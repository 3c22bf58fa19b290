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

# The console's CodeMirror editors (code, payload, version diff), bundled like the charts.
EDITOR := static/console/dist/editor.js
$(EDITOR): frontend/editor/package.json frontend/editor/package-lock.json $(wildcard frontend/editor/src/*)
	npm ci --no-audit --no-fund --prefix frontend/editor
	npm run build --prefix frontend/editor


# The official clients the end-to-end tests drive (tests/delivery/test_real_clients.py),
# pinned by tests/clients/package-lock.json.
CLIENTS := tests/clients
CLIENTS_STAMP := $(CLIENTS)/node_modules/.installed
.PHONY: clients

$(CLIENTS_STAMP): $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	npm ci --no-audit --no-fund --prefix $(CLIENTS)
	touch $(CLIENTS_STAMP)

clients: $(CLIENTS_STAMP)

install: $(STAMP) $(BUNDLE) $(CHARTS) $(EDITOR) $(CLIENTS_STAMP)

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
	. scripts/secret_key.sh && $(VENV)/bin/celery -A workspace worker -B -l info --concurrency 2

clean:
	rm -rf $(VENV) $(JS)/node_modules $(JS)/dist frontend/*/node_modules static/console/dist \
		tests/clients/node_modules tests/functions/runtime/node_reference/node_modules var

# The runtime's Node shims (src/node/) are part of the bundle too.
$(BUNDLE): $(wildcard $(JS)/src/node/*)

# The differential test's reference: the product's Node.js runtime (node-fetch 2.6.0 and
# the libraries it exposed), pinned in tests/functions/runtime/node_reference.
NODE_REF := tests/functions/runtime/node_reference
$(NODE_REF)/node_modules/.package-lock.json: $(NODE_REF)/package.json $(NODE_REF)/package-lock.json
	npm ci --no-audit --no-fund --prefix $(NODE_REF)

.PHONY: node-reference
node-reference: $(NODE_REF)/node_modules/.package-lock.json
install: node-reference
