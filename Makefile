# The README's two commands: `make run` builds the warehouse on the built-in demo data,
# `make test` runs the test suite. Both install what they need first (Python 3.11 + PyPI only).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV_STAMP := .venv/.synced-$(shell cat uv.lock pyproject.toml | sha256sum | cut -c1-16)

# No telemetry, no usage stats: the build talks to nothing but the package registries at install.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DAGSTER_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install run test serve clean bench
PORT ?= 3000

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	# Bytecode compiled once here: imports then stay fast even where PYTHONDONTWRITEBYTECODE is set.
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	rm -f .venv/.synced-*
	touch $@

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

install: $(VENV_STAMP) $(DAGSTER_HOME)/dagster.yaml

run: install  ## build the warehouse on the built-in demo data
	.venv/bin/localed build --source demo

test: install  ## run the whole test suite
	.venv/bin/pytest

# Figures, not a test: national demo build, a no-change rebuild, demo x5 and x10, each in a fresh
# temporary LOCALED_HOME; per-stage wall, CPU, peak memory, rows/s and the targets (bench/run.py).
bench: install  ## benchmark the build and print per-stage figures beside the targets (CSV in bench/out/)
	.venv/bin/python bench/run.py

serve: install  ## the Dagster UI on 127.0.0.1:$(PORT): assets, checks and the nightly schedule
	env --default-signal=INT,TERM .venv/bin/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(PORT)

clean:  ## remove build output (keeps raw snapshots and the published warehouse)
	rm -rf data/build dbt_project/target
