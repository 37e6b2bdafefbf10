# Postman SMS onboarding runbook. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HUB_STAMP := $(VENV)/.installed-hub

.PHONY: demo test lint format lab voila sandbox status notebooks clean lock
.PHONY: hub hub-proxy hub-trainees hub-scenario hub-board

## ------------------------------------------------------------------------------ installing
# One path, three steps, every file checked against the sha256 its lock pins:
#   1. $(VENV) from $(PYTHON), without pip (seconds faster);
#   2. uv, the version requirements-uv.txt pins, into $(VENV) by pip: $(PYTHON)'s own pip
#      (pip --python), else the venv's after ensurepip;
#   3. the locks into $(VENV) by that uv (--require-hashes), and the project itself, editable:
#        requirements.txt      the runtime: demo, lab, voila, sandbox, status, notebooks
#        requirements-dev.txt  the runtime at the same pins + tests, lint, browser driver: test
#        requirements-hub.txt  the runtime at the same pins + JupyterHub: hub
# A lock is installed again only when it changes (one stamp file per lock), the project when its
# packaging (pyproject.toml) does: lint and test settings live in ruff.toml and pytest.ini. Installs add and
# update, never remove: to drop what a lock no longer lists, rm -rf $(VENV) and run make again.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: the\
	 runbook needs Python 3.11 or newer, $(PYTHON) is $$($(PYTHON) -V 2>&1). Name another:\
	 make PYTHON=python3.12 ..." >&2; exit 1; }
	$(PYTHON) -m venv --without-pip $(VENV)

$(BIN)/uv: requirements-uv.txt | $(BIN)/python
	@if $(PYTHON) -m pip --version >/dev/null 2>&1; then pip="$(PYTHON) -m pip --python $(BIN)/python";\
	 else $(BIN)/python -m ensurepip -q --default-pip && pip="$(BIN)/python -m pip"; fi;\
	 echo "+ $$pip install --require-hashes -r requirements-uv.txt";\
	 $$pip install -q --disable-pip-version-check --require-hashes -r requirements-uv.txt
	@touch $@

UV_INSTALL = $(BIN)/uv pip install -q --python $(BIN)/python

# uv compiles no bytecode unless told to, and then compiles all of site-packages (~15 s); the
# runtime compiles just what a run imports (runner/bytecode.py, ~5 s), the test and hub tools
# everything (tests start many processes). The project is installed without hashes (it is this
# folder) and without build isolation (setuptools comes from the runtime lock).
$(STAMP): requirements.txt pyproject.toml | $(BIN)/uv
	$(UV_INSTALL) --require-hashes -r requirements.txt
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
	$(BIN)/python -m onboarding_helpers.runner.bytecode >/dev/null
	@touch $@

# JupyterLab and Voila import more than a run: their bytecode on their first use, once.
SERVERS_STAMP := $(VENV)/.compiled-servers
$(SERVERS_STAMP): $(STAMP)
	$(BIN)/python -m onboarding_helpers.runner.bytecode --servers >/dev/null
	@touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(UV_INSTALL) --compile-bytecode --require-hashes -r requirements-dev.txt
	@touch $@

$(HUB_STAMP): $(STAMP) requirements-hub.txt
	$(UV_INSTALL) --compile-bytecode --require-hashes -r requirements-hub.txt
	@touch $@

## Regenerate the locks from their inputs: requirements-uv.in, requirements.in and
## requirements-dev.in (edit those, never the .txt). Keeps every pin the inputs allow; to move
## on: make lock LOCK_ARGS=--upgrade (or LOCK_ARGS="--upgrade-package NAME"). A lock whose
## content is unchanged is left untouched, so its stamp does not go stale.
# Always with the pinned uv ($(BIN)/uv, from requirements-uv.txt), so every machine writes the
# same locks. --universal: one lock for Linux, macOS and Windows, Python 3.11 and newer (markers
# pick); 3.11 because the pinned ipykernel 7.4 and IPython 9 need it.
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock'
LOCK_ARGS ?=
lock: | $(BIN)/uv
	@set -e; \
	for name in requirements-uv requirements requirements-dev requirements-hub; do \
	  if [ -f $$name.txt ]; then cp $$name.txt $$name.txt.new; fi; \
	  echo "+ $(BIN)/uv pip compile $(LOCK_FLAGS) $(LOCK_ARGS) -o $$name.txt $$name.in"; \
	  $(BIN)/uv pip compile -q $(LOCK_FLAGS) $(LOCK_ARGS) -o $$name.txt.new $$name.in \
	    || { rm -f $$name.txt.new; exit 1; }; \
	  if cmp -s $$name.txt.new $$name.txt; then rm $$name.txt.new; \
	  else mv $$name.txt.new $$name.txt; echo "  $$name.txt updated"; fi; \
	done

## ------------------------------------------------------------------------------ using

## Run the whole runbook headless against the built-in sandbox Twilio.
# Sample values: GOVTECH stands for your SGNIC-registered Sender ID, +6581234567 for your own
# Singapore mobile (the sandbox delivers to it; in live mode use your real ones). -r keeps the
# number as text (-p would turn it into an integer). Override: make demo DEMO_ARGS="..."
DEMO_ARGS ?= -p sender_id GOVTECH -r test_phone +6581234567
demo: $(STAMP)
	$(BIN)/python -m onboarding_helpers run --sandbox $(DEMO_ARGS)

## Lint, then every test (browser tests too, when Chromium is installed), PYTEST_WORKERS at a
## time (pytest-xdist; PYTEST_WORKERS=0: one by one, in one process). More pytest options:
## make test PYTEST_ARGS="-m 'not browser'", or PYTEST_ARGS="-k rotate -x".
# 4 workers on 2 cores: the tests mostly wait on kernels, servers and Chromium (with 4 the cores
# are busy about 88% of the run, with 3 about 74%: 229 s against 252 s). loadfile keeps
# each test module on one worker, so a module's shared fixture is built once; the modules go out
# in the collection's order (--no-loadscope-reorder), which tests/costliest_first.py makes hub and
# browser walks first, so that none of them starts last and runs on alone.
PYTEST_WORKERS ?= 4
PYTEST_ARGS ?=
PYTEST_PARALLEL = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)
# axe-core for the browser tests' accessibility checks (tests/browser/accessibility.py), from npm
# at the version and hash of its package-lock.json, into tests/browser/axe/node_modules (ignored
# by git). Without npm, make test goes on: those checks skip, except in CI, where they fail.
AXE_SRC := tests/browser/axe
AXE_CORE := $(AXE_SRC)/node_modules/axe-core/axe.min.js
$(AXE_CORE): $(AXE_SRC)/package.json $(AXE_SRC)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "+ cd $(AXE_SRC) && npm ci --ignore-scripts"; \
	  cd $(AXE_SRC) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
	  && touch node_modules/axe-core/axe.min.js; \
	else echo "make: no npm: the browser tests' accessibility checks skip (Debian: apt\
	 install nodejs npm)" >&2; fi
# The package's bytecode brought up to date first: the tests start hundreds of processes that
# import it, and where PYTHONDONTWRITEBYTECODE is set (shared machines, CI) none of them writes it.
test: $(DEV_STAMP) $(AXE_CORE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m compileall -q onboarding_helpers
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## JupyterLab on the first notebook, in sandbox mode unless ONBOARDING_MODE=live.
lab: $(SERVERS_STAMP)
	ONBOARDING_MODE=$${ONBOARDING_MODE:-sandbox} $(BIN)/jupyter lab notebooks/00_start_here.ipynb

## Voila: the runbook as an app, forms and results only, code hidden (trainees). Sandbox mode
## unless ONBOARDING_MODE=live. Opens http://127.0.0.1:8866/ (with a token) listing the notebooks.
voila: $(SERVERS_STAMP)
	ONBOARDING_MODE=$${ONBOARDING_MODE:-sandbox} $(BIN)/voila notebooks --Voila.ip=127.0.0.1 --token

## The sandbox Twilio on its own, in the foreground (for trainers).
sandbox: $(STAMP)
	$(BIN)/python -m onboarding_helpers.sandbox serve --dir .sandbox

status: $(STAMP)
	$(BIN)/python -m onboarding_helpers status

## Sync the notebook pairs notebooks/NN_name.ipynb <-> notebooks/NN_name.py (jupytext.toml).
## Edit either file, in JupyterLab (jupytext syncs the pair on save) or in an editor, then run
## this: the newer file of each pair updates the other, keeping cell ids. Commit both.
NOTEBOOK_STEMS = $(sort $(basename $(wildcard notebooks/*.ipynb notebooks/*.py)))
notebooks: $(STAMP)
	$(BIN)/jupytext --sync $(foreach n,$(NOTEBOOK_STEMS),$(firstword $(wildcard $(n).ipynb $(n).py)))

clean:
	rm -rf runs .runbook .sandbox

## ------------------------------------------------------------------------------ a class
## A class on one machine (docs/TRAINERS.md): JupyterHub, one notebook server per trainee as
## their own system user, one sandbox for everyone. Run as root: sudo make hub. Then open
## http://127.0.0.1:8000/ (a room: make hub HUB_ARGS="--ip 0.0.0.0 --trainers YOU").
HUB_DIR  ?= .hub
HUB_ARGS ?=
# JupyterHub's proxy, from npm, at the versions and hashes of its package-lock.json.
PROXY_SRC := onboarding_helpers/training/hub/proxy
HUB_PROXY := $(HUB_DIR)/proxy/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): $(PROXY_SRC)/package.json $(PROXY_SRC)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: JupyterHub's proxy comes from npm:\
	 install Node.js and npm first (Debian: apt install nodejs npm)" >&2; exit 1; }
	@mkdir -p $(HUB_DIR)/proxy && chmod 700 $(HUB_DIR)
	cp $(PROXY_SRC)/package.json $(PROXY_SRC)/package-lock.json $(HUB_DIR)/proxy/
	cd $(HUB_DIR)/proxy && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@
hub-proxy: $(HUB_PROXY)

hub: $(HUB_STAMP) $(HUB_PROXY)
	$(BIN)/python -m onboarding_helpers.training.hub serve --dir $(HUB_DIR) $(HUB_ARGS)

## Trainees' system users, each with a password printed once: make hub-trainees NAMES="ana ben"
hub-trainees: $(HUB_STAMP)
	$(BIN)/python -m onboarding_helpers.training.hub add-trainees --dir $(HUB_DIR) $(NAMES)

## A training scenario for one trainee: make hub-scenario TRAINEE=ana SCENARIO=trial-account
hub-scenario: $(HUB_STAMP)
	$(BIN)/python -m onboarding_helpers.training.hub scenario --dir $(HUB_DIR) $(HUB_ARGS)\
	 "$(TRAINEE)" "$(SCENARIO)"

## The trainer's board in the terminal (in a browser: the sandbox console's /console/board).
hub-board: $(HUB_STAMP)
	$(BIN)/python -m onboarding_helpers.training.hub board --dir $(HUB_DIR) $(HUB_ARGS)
