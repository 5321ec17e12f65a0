# aurora-failback: `make drill` runs the restore locally; `make test` runs every check.
SHELL := /bin/bash
PYTHON := .tools/venv/bin/python
NODE_BIN := tools/drill/node_modules/.bin

.PHONY: help tools build drill drill-dr scenarios lint asl unit fuzz infra package package-here bench test

help:
	@echo "make drill   restore a demo cluster against a local AWS (moto), with the real state machine and Lambdas"
	@echo "make drill-dr  run a DR Orchestrator payload through the DR state machine and Lambdas, us-east-1 -> us-west-2 (moto)"
	@echo "make test    everything CI runs: fmt, clippy, unit, mock and moto tests, ASL checks, a minute of fuzzing, drill scenarios, infra checks"
	@echo "make fuzz    fuzz every parser of outside input for FUZZ_SECONDS (default 60; FUZZ_SEED repeats a run)"
	@echo "make package the deploy build: sam build on infra/template.yaml, each artefact started, sizes (ARCH=arm64|x86_64)"
	@echo "make bench   what a restore costs: cold starts against Python, transitions and cost per restore, 50 clusters at once"

tools: ## Python venv with moto, Node 22, aws-local-stepfunctions, asl-validator (idempotent)
	@bash tools/bootstrap.sh

# One build for the drill and the tests: --all-targets gives the binaries the same
# dependency features as the tests, so the AWS SDK is compiled once, not twice.
build:
	cargo build --workspace --all-targets

drill: tools build
	$(PYTHON) tools/drill/drill.py

# statemachine/dr.asl.json in us-west-2 with events/dr/full-region-failover.json: two Aurora
# global databases switched over from us-east-1 (layer 1), then an RDS MySQL read replica
# promoted and an ElastiCache global datastore failed over (layer 2).
drill-dr: tools build
	$(PYTHON) tools/drill/drill.py --scenario dr-switchover

# Every scenario, the failback ones and the DR ones (tools/drill/dr_drill.py).
scenarios: tools build
	$(PYTHON) tools/drill/drill.py --all

lint:
	python3 tools/check_layers.py
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

asl: tools
	python3 tools/gen_asl.py --check
	$(NODE_BIN)/asl-validator --json-path statemachine/failback.asl.json
	$(NODE_BIN)/asl-validator --json-path statemachine/dr.asl.json

unit: tools build
	cargo test --workspace

# The fuzz test binary is built by the build target (--all-targets); this only runs it longer.
FUZZ_SECONDS ?= 60
fuzz: build
	FUZZ_SECONDS=$(FUZZ_SECONDS) cargo test -p failback-core --test fuzz -- --nocapture

infra:
	@if [ -f infra/check.sh ]; then bash infra/check.sh; else echo "infra: no infra/check.sh yet"; fi

# The deploy build, as the README's deploy section runs it (tools/package.sh). ARCH is the
# template's Architecture parameter: arm64 (the default) or x86_64.
ARCH ?= arm64
package: tools
	ARCH=$(ARCH) bash tools/package.sh

# make test builds for this machine's own architecture, so that each artefact can be
# started here; it is the same release build `make bench` measures.
HOST_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86_64)
package-here: tools
	ARCH=$(HOST_ARCH) bash tools/package.sh

# Figures, not assertions: run by hand (not part of make test) after make package-here.
bench: tools
	$(PYTHON) tools/bench/bench.py

test: lint asl build unit fuzz scenarios infra package-here
