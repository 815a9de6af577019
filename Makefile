# Confluent Billing Portal — every target installs what it needs first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/pytest -p no:cacheprovider

.PHONY: install dev demo migrate test test-unit test-integration test-smoke format lint clean clean-data \
        docker-up docker-down docker-rebuild bench load

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "installed: $(BIN)/billing-portal"

demo: install
	$(BIN)/billing-portal demo

dev: install
	$(BIN)/billing-portal demo --no-simulate --days 0

migrate: install
	$(BIN)/billing-portal migrate

test: install
	$(PYTEST) billing_portal_tests

# Contract tests on recorded live shapes (billing_portal_tests/contract/): the parsers alone are unit tests, the
# clients over HTTP integration tests.
test-unit: install
	$(PYTEST) billing_portal_tests/unit $(wildcard billing_portal_tests/contract/test_shapes_*.py)

test-integration: install
	$(PYTEST) billing_portal_tests/integration $(wildcard billing_portal_tests/contract/test_wire_*.py)

test-smoke: install
	$(PYTEST) billing_portal_tests/smoke

bench: install
	$(BIN)/billing-portal bench --scale large --days 30 --api-days 365 --json bench-results/latest.json

# 50 clients × 60 s on /v1/costs, /v1/costs/summary and /metrics over 30 days (built first if missing) while a day is
# rewritten. LOAD_SCALE=medium for a quicker dataset.
LOAD_SCALE ?= large
load: install
	$(BIN)/python -m billing_portal_tests.load.run_load --scale $(LOAD_SCALE) --days 30 --users 50 --duration 60

format: install
	$(BIN)/ruff format billing_portal billing_portal_tests
	$(BIN)/ruff check --fix billing_portal billing_portal_tests

lint: install
	$(BIN)/ruff check billing_portal billing_portal_tests

clean:
	-test -x $(BIN)/billing-portal && $(BIN)/billing-portal db stop
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

clean-data: clean
	rm -rf .billing_portal

define NO_ENGINE
	@if docker info >/dev/null 2>&1; then $(1); else \
	  echo "no Docker engine found here: '$(1)' skipped (the compose file is validated by the tests)"; fi
endef

docker-up:
	$(call NO_ENGINE,docker compose -f docker/docker-compose.yml up -d)

docker-down:
	$(call NO_ENGINE,docker compose -f docker/docker-compose.yml down)

docker-rebuild:
	$(call NO_ENGINE,docker compose -f docker/docker-compose.yml up -d --build)
