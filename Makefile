# Postman SMS onboarding runbook. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format lab sandbox status notebooks clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

## Run the whole runbook headless against the built-in sandbox Twilio.
demo: $(STAMP)
	$(BIN)/python -m onboarding_helpers run --sandbox $(DEMO_ARGS)

## Lint, then every test (browser tests too, when Chromium is installed).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## JupyterLab on the first notebook, in sandbox mode unless ONBOARDING_MODE=live.
lab: $(STAMP)
	ONBOARDING_MODE=$${ONBOARDING_MODE:-sandbox} $(BIN)/jupyter lab notebooks/00_start_here.ipynb

## The sandbox Twilio on its own, in the foreground (for trainers).
sandbox: $(STAMP)
	$(BIN)/python -m onboarding_helpers.sandbox serve --dir .sandbox

status: $(STAMP)
	$(BIN)/python -m onboarding_helpers status

## Rebuild notebooks/*.ipynb from tools/notebooks/*.py.
notebooks: $(STAMP)
	$(BIN)/python tools/build_notebooks.py

clean:
	rm -rf runs .runbook .sandbox
