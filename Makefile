# Two commands on a fresh machine (Python 3.11, Node, npm): `make synth` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
OUT ?= cdk.out

# jsii (every synth, test, report and bench) runs on the Node pinned in package.json, not on the system's.
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup synth synth-strict test lint bench report docs clean integ integ-snapshot integ-verify

# The exact versions in constraints.txt (also for the build backend of the editable install).
$(PY_STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install --quiet --upgrade pip
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

## Synthesize the reference app into cdk.out/ with the pinned CDK CLI (no AWS account needed).
synth: setup
	cdk synth --quiet --output $(OUT) > /dev/null
	@echo "synthesized: $$(ls $(OUT)/*.template.json | xargs -n1 basename | tr '\n' ' ')"

## Synthesize with CDK's template validation findings turned into errors.
synth-strict: setup
	cdk synth --quiet --output $(OUT)-strict --context @aws-cdk/core:validateAgainstDefaultRules=true > /dev/null

## The whole test suite (unit, constructs, scenarios, integration with external validators).
test: setup
	$(PY) -m pytest -n 2 --dist loadfile -q

lint: setup
	$(PY) -m ruff check constructs_lib stacks tests bench app.py
	$(PY) -m mypy

## Synth time (validation on and off), jsii messages, memory and resources of 1, 10 and 20 fully equipped agents
## against bare L2 runtimes in the same run; writes the table into docs/contributing.md (the generated bench block).
bench: setup
	$(PY) -m bench.synth_bench --sizes 1,10,20 --docs docs/contributing.md

## The capacity report of the reference app (mode, endpoints, lifecycle, quota shares, findings).
report: setup
	$(PY) -m constructs_lib report

## Refresh the generated docs: the limits table of docs/limits.md (quota catalog), the README's diagram (reference app).
docs: setup
	$(PY) -m constructs_lib.report.limits_table
	$(PY) -m constructs_lib.report.readme_diagram

## Integ snapshots (tests/integ/integ.*.py.snapshot) against what the integ apps synthesize now; offline, no AWS call.
integ-verify: setup
	$(PY) -m tests.integ.runner verify $(INTEG_APPS)

## Re-synthesize the integ snapshots that differ (after a change to a template the integ apps create); review, commit.
integ-snapshot: setup
	$(PY) -m tests.integ.runner snapshot $(INTEG_APPS)

## Deploy each integ app to the account and region of your AWS credentials, run its assertions, destroy it.
## Needs a CDK-bootstrapped account and region where Bedrock AgentCore Runtime is available (see tests/integ/README.md).
integ: setup
	$(PY) -m tests.integ.runner deploy $(INTEG_APPS)

clean:
	rm -rf $(OUT) $(OUT)-strict .pytest_cache .mypy_cache .ruff_cache
