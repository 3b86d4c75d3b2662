# streamops developer entry points. `make help` lists them.
# Everything is installed inside the checkout (.venv, .cache/tools) or in
# ~/.cache/streamops (Kafka and registry jars) and ~/.m2 (Maven's own cache).

PYTHON     ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS      := .cache/tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
BIN        := $(VENV)/bin
PROJECTS   := pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml deploy/*/pyproject.toml)
# the native Avro codec (libs/streamops-avro) is Rust: uv builds it with maturin and cargo
NATIVE     := $(wildcard libs/streamops-avro/Cargo.* libs/streamops-avro/src/*.rs libs/streamops-avro/*.pyi)
# rustup installs cargo in ~/.cargo/bin, which a non-login shell may not have on PATH
export PATH := $(PATH):$(HOME)/.cargo/bin
CARGO      := $(shell PATH='$(PATH)'; command -v cargo)
# Without cargo the codec is left out (streamops.serde runs on fastavro); one stamp per
# variant, so that a later `make setup` with cargo builds it
ifeq ($(CARGO),)
SYNCED     := $(VENV)/.synced-without-codec
SYNC_FLAGS := --no-install-package streamops-avro
NO_CODEC   := cargo not found, so the native Avro codec (libs/streamops-avro) is skipped: Avro runs on fastavro, about 7x slower per record (validation ~24k instead of 73k events/s); install Rust (https://rustup.rs) and rerun make setup for full speed
else
SYNCED     := $(VENV)/.synced
SYNC_FLAGS :=
endif

.DEFAULT_GOAL := help
.PHONY: help setup up down status demo test test-unit test-integration lint bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(PROJECTS) $(NATIVE) | $(UV)
	@rm -f $(VENV)/.synced $(VENV)/.synced-without-codec
	@# compiled once here: every service process and test then starts in ~1.5 s, not ~15
	$(UV) sync --all-packages --frozen --compile-bytecode $(SYNC_FLAGS) --python $(PYTHON)
	@touch $@

# promtool and prometheus, which the metrics tests run (tests/integration/observability),
# come from Debian's prometheus package. Its postinst starts the daemon where it may
# (systemd; an init script unless policy-rc.d denies it); the tests start their own, so a
# packaged daemon is stopped (and, under systemd, disabled) rather than left running.
PROMETHEUS_NEEDED := promtool and prometheus are not on PATH: install Prometheus 2.x (Debian/Ubuntu: sudo apt-get install --no-install-recommends prometheus; elsewhere both binaries from https://prometheus.io/download on PATH) and rerun make setup

setup: $(SYNCED)  ## venv, Python packages (pinned by uv.lock), the native codec (with cargo), Kafka and registry jars, promtool and prometheus
ifeq ($(CARGO),)
	@echo "make setup: $(NO_CODEC)"
endif
	$(BIN)/streamops-local fetch
	@if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "make setup: $(PROMETHEUS_NEEDED)" >&2; exit 1; \
	  fi; \
	  echo "make setup: installing Debian's prometheus package (promtool, prometheus)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends prometheus || exit 1; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus; \
	  else /etc/init.d/prometheus stop; fi; \
	fi

up: setup  ## start Kafka and the schema registry (the services join as they are built)
	$(BIN)/streamops-local up

down:  ## stop everything `make up` started
	@if [ -x $(BIN)/streamops-local ]; then $(BIN)/streamops-local down; else echo "nothing was set up"; fi

status:  ## health of each component, and the addresses clients should use
	@$(BIN)/streamops-local status

demo: up  ## the fraud example: 30,000 transactions with a data-quality incident (about 2 min)
	$(BIN)/streamops produce fraud --count 30000 --rate 500 --pii-salt "$$(cat var/pii-salt)" \
	  --scenario deploy/pipelines/scenarios/quality-incident.yaml --time-scale 1440
	@echo "waiting 35 s for the last 30 s alert window to close ..."; sleep 35
	@$(BIN)/streamops-local demo-summary

test: setup  ## unit + integration tests; starts (and then stops) Kafka and the registry if needed
	$(BIN)/pytest

test-unit: setup  ## unit tests only (no broker)
	$(BIN)/pytest tests/unit

test-integration: setup  ## integration tests only
	$(BIN)/pytest tests/integration

lint: setup  ## ruff + mypy, and rustfmt + clippy for the native codec (with cargo)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
ifeq ($(CARGO),)
	@echo "make lint: cargo not found; rustfmt and clippy of libs/streamops-avro skipped"
else
	$(CARGO) fmt --check --manifest-path libs/streamops-avro/Cargo.toml
	PYO3_PYTHON=$(CURDIR)/$(BIN)/python $(CARGO) clippy --quiet --release --manifest-path libs/streamops-avro/Cargo.toml -- -D warnings
endif

bench: setup  ## benchmarks under tests/benchmarks (figures go to docs/benchmarks.md)
	$(BIN)/pytest tests/benchmarks -s; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "no benchmarks yet"; else exit $$status; fi
