# Two commands do all the set-up: `make lab` (start the course) and `make test` (run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# What the course imports: the environment counts as installed only when all of these import.
IMPORTS := qwen_helpers,openai,dashscope,aiohttp,httpx_sse,dotenv,tenacity,jupyterlab,ipywidgets,matplotlib,nbval,pytest,playwright,myst_nb,sphinx_book_theme
# `make lab`'s command, rooted at the project folder so that notebooks, diagrams, examples and
# docs are all reachable, opening the contents page rendered. LAB_OPTIONS adds options
# (tests/test_browser.py runs this same command with a port and a token).
ROOT_FLAG := $$( [ "$$(id -u)" = 0 ] && echo --allow-root )
LAB_OPTIONS ?=
LAB := $(BIN)/jupyter lab notebooks/README.md --ServerApp.root_dir=. \
       --LabApp.app_settings_dir=tools/lab $(ROOT_FLAG)

.PHONY: setup lock lab test lint bench mock diagrams graphviz site room clean

# Checked on every run, so a .venv damaged halfway (deleted during an install, a package missing)
# is repaired without `make clean`; the stamp is written only once everything imports.
setup:
	@if [ -f $(STAMP) ] && [ ! requirements.lock -nt $(STAMP) ] && [ ! pyproject.toml -nt $(STAMP) ] \
	    && [ -x $(BIN)/jupyter ] && $(BIN)/python -c "import $(IMPORTS)" >/dev/null 2>&1; then \
	  exit 0; fi; \
	 rm -f $(STAMP); \
	 echo "Setting up $(VENV) (a few seconds with uv, a minute with pip)…"; \
	 $(PYTHON) -m venv $(VENV) && tools/install.sh $(VENV) || exit 1; \
	 if ! { [ -x $(BIN)/jupyter ] && $(BIN)/python -c "import $(IMPORTS)"; }; then \
	   echo "$(VENV) is damaged beyond a top-up; rebuilding it from scratch…"; \
	   $(PYTHON) -m venv --clear $(VENV) && tools/install.sh $(VENV) && \
	   $(BIN)/python -c "import $(IMPORTS)" || exit 1; \
	 fi; \
	 touch $(STAMP)

# The exact versions everyone installs, for every platform and Python the course supports, from
# the ranges in requirements.txt (tests/test_lock.py checks the two agree). Run after changing
# requirements.txt, then run make test and commit both files.
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.txt --universal --python-version 3.10 --quiet \
	  -o requirements.lock

lab: setup
	$(LAB) $(LAB_OPTIONS)

test: setup
	$(BIN)/ruff check qwen_helpers tests tools bench examples site conftest.py
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check qwen_helpers tests tools bench examples site conftest.py

# Every benchmark, then the tables in bench/RESULTS.md (figures only; about 4 minutes on 2 cores).
bench: setup
	$(BIN)/python bench/run.py

mock: setup
	$(BIN)/python -m qwen_helpers.mock

# A real JupyterHub on this machine for LEARNERS learners, notebooks 00 and 03 run in all their
# kernels at once, then everything stopped (tools/room.py; docs/workshop.md for a real room).
LEARNERS ?= 8
room: setup
	$(BIN)/python tools/room.py --learners $(LEARNERS)

# The course as a static site in build/site/ (both editions, the guides; saved outputs, nothing
# executed): open build/site/index.html, or serve the folder from any path.
site: setup
	$(BIN)/python site/build.py

# Regenerate diagrams/src/*.dot and diagrams/render/*.svg. Only this needs Graphviz's `dot` (a
# system package, installed when missing); the course shows and highlights the committed SVGs.
diagrams: setup graphviz
	$(BIN)/python -m qwen_helpers.diagrams

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz fonts-noto-cjk >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz; \
	  else echo "Please install Graphviz (the 'dot' program): https://graphviz.org/download/"; exit 1; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
