# Two commands do all the set-up: `make lab` (start the course) and `make test` (run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test lint bench mock clean

setup: $(STAMP) graphviz

# The virtual environment and every Python package, re-installed when the requirements change.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

# The Graphviz `dot` program (a system package, not a Python one), installed only when missing.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz fonts-noto-cjk >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz; \
	  else echo "Please install Graphviz (the 'dot' program): https://graphviz.org/download/"; exit 1; fi; }

# Jupyter refuses to run as root unless told to (containers, CI and cloud machines often are root).
lab: setup
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

test: setup
	$(BIN)/ruff check qwen_helpers tests tools bench examples conftest.py
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check qwen_helpers tests bench

# Every benchmark, then the tables in bench/RESULTS.md (figures only; about 4 minutes on 2 cores).
bench: setup
	$(BIN)/python bench/run.py

mock: setup
	$(BIN)/python -m qwen_helpers.mock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
