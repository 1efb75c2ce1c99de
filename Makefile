# The two commands of the Quick start:
#   make demo   create .venv, install wattlens, and run the main job
#   make test   install the test tools and run lint, types and the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest browser prometheus bench calibrate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "wattlens needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# PyTorch for the example workloads and their tests (a CPU build is enough);
# override to pick another build: make demo TORCH="torch==2.9.1".
TORCH ?= torch==2.13.0

$(VENV)/.installed-torch: $(VENV)/.installed
	$(BIN)/python -c 'import torch' 2>/dev/null || $(BIN)/python -m pip install --quiet $(TORCH)
	@touch $@

demo: $(VENV)/.installed-torch
	$(BIN)/wattlens doctor
	$(BIN)/wattlens run --name tiny-transformer --timeline -- \
		$(BIN)/python examples/train_tiny_transformer.py --steps 200
	$(BIN)/wattlens runs ls --limit 5

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The dashboard's browser tests drive Debian's chromium; a fresh machine has none, so it is
# installed here (as root, or through sudo). Without it the tests fail, unless
# WATTLENS_SKIP_BROWSER=1 says to skip them.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$WATTLENS_SKIP_BROWSER" != "1" ]; then \
	  sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo="sudo"; fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium; } \
	  || { echo "error: could not install chromium (apt-get install chromium), which the browser tests need; set WATTLENS_SKIP_BROWSER=1 to skip them" >&2; exit 1; }; \
	fi

# The exporter's end-to-end tests are scraped by Debian's prometheus server, installed here the
# same way; without it they fail, unless WATTLENS_SKIP_PROMETHEUS=1 says to skip them.
prometheus:
	@if [ ! -x /usr/bin/prometheus ] && [ "$$WATTLENS_SKIP_PROMETHEUS" != "1" ]; then \
	  sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo="sudo"; fi; \
	  echo "installing Debian's prometheus for the exporter's tests"; \
	  { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends prometheus; } \
	  || { echo "error: could not install prometheus (apt-get install prometheus), which the exporter's tests need; set WATTLENS_SKIP_PROMETHEUS=1 to skip them" >&2; exit 1; }; \
	fi

pytest: $(VENV)/.installed-dev $(VENV)/.installed-torch browser prometheus
	$(BIN)/pytest

test: lint typecheck pytest

# Side-by-side benchmarks (peers are installed in their own venv, .venv-bench).
bench: $(VENV)/.installed-torch
	$(BIN)/python benchmarks/bench_overhead.py --setup

# Refit the `current` serving-stack constants on the ML.ENERGY v3 rows and rewrite their rows of
# src/wattlens/formulas/data/serving_stacks.csv (tests/validation/test_calibration.py checks them).
calibrate: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[calibrate]'
	$(BIN)/python benchmarks/calibrate_inference.py --write --no-holdout

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
