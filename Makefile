# The README's two commands are `make goleak` (the main job) and `make test` (the tests).
# Each first brings up what it needs through scripts/provision.sh (a Docker engine, redis-server,
# PostgreSQL; for the tests also Chromium and wrk): it only looks when all is there (well under a
# second), and asks for root (sudo -n) only to run apt-get or start dockerd. PROVISION=0 skips it.
# Each also sets up its own virtual environment on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
GO     ?= $(shell command -v go || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)

PROVISION ?= 1
provision = $(if $(filter 1,$(PROVISION)),bash scripts/provision.sh --for $(1),@true)

.PHONY: goleak test unit tools lint typecheck proto-check clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# Main job: every shipped scenario through pytest --goleak; report in goleak-report/.
goleak:
	@$(call provision,goleak)
	@$(MAKE) -s --no-print-directory $(VENV)/.installed
	$(PYTEST) --goleak scenarios/ --goleak-report goleak-report -p no:cacheprovider

# All tests: unit, tools (Go builds, lint, types, gofmt, actionlint, proto drift), integration
# (real Docker, Go, Redis, PostgreSQL) and browser.
test:
	@$(call provision,test)
	@$(MAKE) -s --no-print-directory $(VENV)/.installed
	$(PYTEST) tests -p no:cacheprovider

# Fast, no Docker and no network. The pipeline test runs the real load driver, built once with Go
# and cached (skipped when there is neither Go nor a cached build).
unit: $(VENV)/.installed
	$(PYTEST) tests/unit -p no:cacheprovider

# The tests that run external tools: Go builds and `go test`, ruff, mypy, gofmt, go mod tidy,
# actionlint (built from the Go module proxy), scripts/gen_proto.sh --check (PyPI).
tools: $(VENV)/.installed
	$(PYTEST) tests/tools -p no:cacheprovider

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check pytest_goleak tests
	$(VENV)/bin/mypy pytest_goleak

proto-check:
	scripts/gen_proto.sh --check

clean:
	rm -rf $(VENV) goleak-report .pytest_cache .mypy_cache .ruff_cache
