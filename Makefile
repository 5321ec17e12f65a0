# aurora-failback: `make drill` runs the restore locally; `make test` runs every check.
SHELL := /bin/bash
PYTHON := .tools/venv/bin/python
NODE_BIN := tools/drill/node_modules/.bin

.PHONY: help tools build drill drill-dr scenarios lint asl unit fuzz infra test

help:
	@echo "make drill   restore a demo cluster against a local AWS (moto), with the real state machine and Lambdas"
	@echo "make drill-dr  run a DR Orchestrator payload through the DR state machine and Lambdas, us-east-1 -> us-west-2 (moto)"
	@echo "make test    everything CI runs: fmt, clippy, unit, mock and moto tests, ASL checks, a minute of fuzzing, drill scenarios, infra checks"
	@echo "make fuzz    fuzz every parser of outside input for FUZZ_SECONDS (default 60; FUZZ_SEED repeats a run)"

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

test: lint asl build unit fuzz scenarios infra
