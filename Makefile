# The two commands of the Quick start:
#   make demo   create .venv, install wattlens, and run the main job
#   make test   install the test tools and run lint, types and the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest browser bench clean

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

pytest: $(VENV)/.installed-dev $(VENV)/.installed-torch browser
	$(BIN)/pytest

test: lint typecheck pytest

# Side-by-side benchmarks (peers are installed in their own venv, .venv-bench).
bench: $(VENV)/.installed-torch
	$(BIN)/python benchmarks/bench_overhead.py --setup

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
