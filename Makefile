# Postman SMS onboarding runbook. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format lab voila sandbox status notebooks clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

## Run the whole runbook headless against the built-in sandbox Twilio.
# Sample values: GOVTECH stands for your SGNIC-registered Sender ID, +6581234567 for your own
# Singapore mobile (the sandbox delivers to it; in live mode use your real ones). -r keeps the
# number as text (-p would turn it into an integer). Override: make demo DEMO_ARGS="..."
DEMO_ARGS ?= -p sender_id GOVTECH -r test_phone +6581234567
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

## Voila: the runbook as an app, forms and results only, code hidden (trainees). Sandbox mode
## unless ONBOARDING_MODE=live. Opens http://127.0.0.1:8866/ (with a token) listing the notebooks.
voila: $(STAMP)
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
