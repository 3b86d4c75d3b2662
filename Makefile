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

# Deployment checks (`make lint-deploy`), with tools built here from pinned versions: Go
# modules from the module proxy into $(TOOLS)/bin (Go keeps its caches in ~/go and
# ~/.cache/go-build), and the Kubernetes JSON schemas that the PyPI package
# kubernetes-validate carries (kubeconform's own schema download needs GitHub).
GO                  := $(shell PATH='$(PATH):/usr/local/go/bin'; command -v go)
KUBECONFORM_VERSION := v0.8.0
KUSTOMIZE_VERSION   := v5.8.1
K8S_VERSION         := 1.34.0
K8S_SCHEMAS_PACKAGE := kubernetes-validate==1.37.0 --hash=sha256:85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBECONFORM         := $(TOOLS)/bin/kubeconform
KUSTOMIZE           := $(TOOLS)/bin/kustomize
COMPOSE_CHECK       := $(TOOLS)/bin/compose-check
K8S_SCHEMAS         := $(TOOLS)/kubernetes-json-schema/v$(K8S_VERSION)-standalone-strict
DEPLOY_TOOLS        := $(TOOLS)/.kubeconform-$(KUBECONFORM_VERSION) $(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION) $(COMPOSE_CHECK) $(K8S_SCHEMAS)
GO_NEEDED           := go not found: install Go 1.26 or later (https://go.dev/dl; the version deploy/compose/go.mod and kubeconform $(KUBECONFORM_VERSION) need) and rerun make setup
# what lint-deploy checks; tests/unit/test_deployment.py points them at broken copies
COMPOSE_FILES       ?= docker-compose.yml
K8S_TREES           ?= $(patsubst %/kustomization.yaml,%,$(wildcard deploy/k8s/base/kustomization.yaml deploy/k8s/overlays/*/kustomization.yaml))

.DEFAULT_GOAL := help
.PHONY: help setup up down status demo demo-quality test test-unit test-integration lint lint-deploy loop chaos bench

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

$(TOOLS)/.kubeconform-%: | $(UV)
	@test -n "$(GO)" || { echo "make setup: $(GO_NEEDED)" >&2; exit 1; }
	GOBIN=$(CURDIR)/$(TOOLS)/bin $(GO) install github.com/yannh/kubeconform/cmd/kubeconform@$*
	@touch $@

$(TOOLS)/.kustomize-%: | $(UV)
	@test -n "$(GO)" || { echo "make setup: $(GO_NEEDED)" >&2; exit 1; }
	GOBIN=$(CURDIR)/$(TOOLS)/bin $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$*
	@touch $@

# the compose file checked by compose-go, the library `docker compose config` runs on
$(COMPOSE_CHECK): deploy/compose/go.mod deploy/compose/go.sum deploy/compose/main.go | $(UV)
	@test -n "$(GO)" || { echo "make setup: $(GO_NEEDED)" >&2; exit 1; }
	cd deploy/compose && $(GO) build -buildvcs=false -o $(CURDIR)/$@ .

# kubernetes-validate's schemas refer to each other as https://kubernetes.io/api/...; made
# relative here so that kubeconform reads them from disk and never from the network
$(K8S_SCHEMAS): | $(UV)
	echo "$(K8S_SCHEMAS_PACKAGE)" > $(TOOLS)/k8s-schemas-requirements.txt
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  -r $(TOOLS)/k8s-schemas-requirements.txt
	rm -rf $@ $@.tmp && mkdir -p $(dir $@)
	cp -r "$$($(TOOLS)/bin/python -c 'import importlib.util as u; \
	  print(u.find_spec("kubernetes_validate").submodule_search_locations[0])')/kubernetes-json-schema/v$(K8S_VERSION)-local-strict" $@.tmp
	sed -i.orig -e 's#"\$$id": "https://kubernetes.io/#"$$comment": "https://kubernetes.io/#' \
	  -e 's#"/api/_definitions.json\##"_definitions.json\##g' $@.tmp/*.json
	rm $@.tmp/*.orig
	mv $@.tmp $@

setup: $(SYNCED) $(DEPLOY_TOOLS)  ## venv, Python packages (pinned by uv.lock), the native codec (with cargo), Kafka and registry jars, promtool and prometheus, the deployment checkers
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

demo: setup  ## the closed loop on the fraud example: drift, alert, retrain, promotion, recovery (about 4 min)
	$(BIN)/streamops-local demo

demo-quality: up  ## the fraud example: 30,000 transactions with a data-quality incident (about 2 min)
	$(BIN)/streamops produce fraud --count 30000 --rate 500 --pii-salt "$$(cat var/pii-salt)" \
	  --scenario deploy/pipelines/scenarios/quality-incident.yaml --time-scale 1440
	@echo "waiting 35 s for the last 30 s alert window to close ..."; sleep 35
	@$(BIN)/streamops-local demo-summary

lock: | $(UV)  ## refresh uv.lock after changing a dependency in a pyproject.toml (make setup installs the lock as it is)
	$(UV) lock

test: setup  ## unit + integration tests but the kill tests; starts (and then stops) Kafka and the registry if needed
	$(BIN)/pytest -m "not chaos"

test-unit: setup  ## unit tests only (no broker)
	$(BIN)/pytest tests/unit

test-integration: setup  ## integration tests only
	$(BIN)/pytest tests/integration

lint: setup lint-deploy  ## ruff + mypy, rustfmt + clippy for the native codec (with cargo), the deployment files
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
ifeq ($(CARGO),)
	@echo "make lint: cargo not found; rustfmt and clippy of libs/streamops-avro skipped"
else
	$(CARGO) fmt --check --manifest-path libs/streamops-avro/Cargo.toml
	PYO3_PYTHON=$(CURDIR)/$(BIN)/python $(CARGO) clippy --quiet --release --manifest-path libs/streamops-avro/Cargo.toml -- -D warnings
endif

lint-deploy: $(DEPLOY_TOOLS)  ## docker-compose.yml against the compose spec, deploy/k8s rendered and checked by kubeconform
	@test -z "$$($(dir $(GO))gofmt -l deploy/compose)" || { echo "gofmt -l deploy/compose:"; $(dir $(GO))gofmt -l deploy/compose; exit 1; }
	cd deploy/compose && $(GO) vet ./...
	@# the salt is only interpolated here: any value checks the file
	STREAMOPS_PII_SALT=$${STREAMOPS_PII_SALT:-lint} $(COMPOSE_CHECK) $(COMPOSE_FILES)
	@test -n "$(K8S_TREES)" || { echo "lint-deploy: no kustomization.yaml under deploy/k8s" >&2; exit 1; }
	@set -e; rendered=$$(mktemp); trap 'rm -f $$rendered' EXIT; for tree in $(K8S_TREES); do \
	  echo "kustomize build $$tree | kubeconform -strict"; \
	  $(KUSTOMIZE) build $$tree > $$rendered; \
	  test -s $$rendered || { echo "$$tree renders nothing" >&2; exit 1; }; \
	  $(KUBECONFORM) -strict -summary -schema-location '$(K8S_SCHEMAS)/{{.ResourceKind}}{{.KindSuffix}}.json' - < $$rendered; \
	done

chaos: setup  ## the kill tests: stages, services, the launcher's broker and the registry killed and restarted, the broker kept down past a session (about 8 min; .ci/run runs it after make test)
	$(BIN)/pytest -m chaos

loop: setup  ## the services together: the fraud closed loop, again with each service and the broker killed once, a not-promoted retrain settled by a refreshed reference, the delivery example (about 8 min; .ci/run runs it after make test)
	$(BIN)/pytest tests/loop

bench: setup  ## benchmarks under tests/benchmarks (figures go to docs/benchmarks.md)
	$(BIN)/pytest tests/benchmarks -s; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "no benchmarks yet"; else exit $$status; fi
