# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
ARGS   ?=

.PHONY: run test lint typecheck openapi worker install clean fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/gridapi migrate
	$(BIN)/gridapi seed-demo
	$(BIN)/gridapi serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations scripts
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports
	$(BIN)/ruff format --check app tests bench || true

typecheck: $(STAMP)
	$(BIN)/mypy app

# schemathesis over every /api/v1 operation as a district admin and a grid worker, on a fresh
# database (ARGS="--db postgres" for PostgreSQL; tests/fuzz/run.py --help).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run $(ARGS)

openapi: $(STAMP)
	$(BIN)/gridapi export-openapi --output openapi/openapi.json

worker: $(STAMP)
	$(BIN)/gridapi worker

clean:
	rm -rf $(VENV) data
