# The two commands: `make eval` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL ?= mock
# Docker runtime for the sandbox: runc (default) or runsc (gVisor, installed and registered
# with Docker by `make sandbox RUNTIME=runsc`).
RUNTIME ?= runc

.PHONY: install sandbox eval test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## sandbox: Docker Engine (installed/started when missing and root) and the sandbox image;
## with RUNTIME=runsc also gVisor, registered as a Docker runtime
sandbox: install
	bash scripts/ensure-docker.sh
	@if [ "$(RUNTIME)" = "runsc" ]; then bash scripts/ensure-runsc.sh; \
	elif [ "$(RUNTIME)" != "runc" ]; then echo "error: RUNTIME must be runc or runsc" >&2; exit 2; fi
	$(BIN)/harness sandbox build

## eval: a small real evaluation through Docker (mock model unless OPENAI_API_KEY and MODEL set)
eval: sandbox
	bash scripts/eval.sh

## test: the whole suite, real Docker, gVisor (runsc) and headless Chromium included
test: sandbox
	bash scripts/ensure-runsc.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -q tests

## bench: speed of the pool against the in-process floor and the usual alternatives
bench: sandbox
	$(BIN)/python -m harness.bench

lint: install
	$(BIN)/ruff check harness generators sandbox_image tests

clean:
	-$(BIN)/harness sandbox clean
	rm -rf build .pytest_cache .ruff_cache
