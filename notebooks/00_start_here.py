# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Start here: set up Twilio for Postman SMS
#
# Postman sends SMS through **your agency's own Twilio account**. Before Postman can use it, you
# need four values that work together:
#
# | Value | Looks like | Made in step |
# |---|---|---|
# | Account SID | `AC` + 32 characters | 01 |
# | API key SID | `SK` + 32 characters | 02 |
# | API secret | 32 characters, shown **once** by Twilio | 02–03 |
# | Messaging Service SID | `MG` + 32 characters | 04 |
#
# This runbook does each step of Postman's guide in order, one notebook per step. Each notebook
# explains the step, asks for what it needs in a form, checks your input, does the Twilio action for
# you, and saves the result. The secret is saved in your env file the moment Twilio shows it, so it
# cannot be lost. At the end, step 06 proves the four values work exactly the way Postman will use
# them.

# %% [markdown]
# ## Sandbox or live
#
# * **sandbox** (the default): a fake Twilio running on this computer. Nothing is billed and nothing
#   leaves the machine. Use it to learn the steps or to train new staff.
# * **live**: your agency's real Twilio account. Creating keys and services is free; buying a phone
#   number and sending test SMS are billed to your account.
#
# Set `mode` below, or the `ONBOARDING_MODE` environment variable. Secrets are never typed here:
# they go into the forms (hidden) or the env file.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" (fake Twilio, the default) or "live" (your real account)
env_file: str = ""  # credential store (0600); empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env
state_dir: str = ""  # progress record and journal; empty: $ONBOARDING_STATE_DIR or .runbook
postman: str = ""  # "legacy" or "v2" (Internal SMS); empty: as chosen before, else legacy
scenario: str = ""  # sandbox training scenario to start on a NEW practice account; empty: none
headless: bool = False  # True when run by papermill: no forms, use the parameters above

# %%
from onboarding_helpers.change_plan.panel import plan_panel
from onboarding_helpers.display import board_panel, show, store_panel
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.start import (
    form,
    panel,
    postman_form,
    postman_panel,
    scenarios_panel,
    start,
)
from onboarding_helpers.which_postman import postman_in_use

rb = open_runbook(mode, env_file, state_dir)
rb

# %% [markdown]
# ## Get ready
#
# In sandbox mode this creates your practice account and writes its Account SID and Auth Token into
# the env file, just as you would copy them from the Twilio console. In live mode it only records
# the mode. Either way it records which Postman you use (below). The sandbox also serves a small
# copy of the Twilio console for the practice account (its address is shown below): look there for
# the values the guide talks about.

# %%
result = start(rb, scenario, postman)
show(store_panel(rb.store))
show(panel(result))

# %% [markdown]
# ## Which Postman do you use?
#
# There are two Postmans today, and both take the same four values from your Twilio account and
# send through it the same way. What differs is where you type the values and what you must do
# before that.
#
# * **Postman legacy** (legacy.postman.gov.sg) is the one Postman's SMS guide, and this runbook,
#   were written for. You save the values once under *Settings > Credentials*, give them a label,
#   and Postman sends a test SMS to your phone before it keeps them.
# * **Postman v2** (postman.gov.sg, since April 2024) sends *Internal SMS*: messages to your own
#   agency's staff. There is no credential to save: you type the values into each campaign (channel
#   type *Internal Staff*), with your registered Sender ID as the *Expected Sender Name*. Its
#   onboarding has no Postman form: you sign up with Twilio yourself, and after the billing upgrade
#   you ask Twilio to map your Sender ID to the account, with three documents.
#
# Choose yours below (headless: `-r postman v2`; the default is legacy). Step 06 makes its hand-off
# card for the Postman you choose.
#
# ## Before you begin: the administrative steps
#
# The first steps of each onboarding happen outside Twilio's API, so the runbook cannot do them for
# you. Tick them off before step 01. The one that stops most officers is the billing upgrade: a
# Trial account cannot use an alphanumeric Sender ID, and step 01 will stop until it is upgraded.

# %%
show(postman_panel(postman_in_use(rb.progress)))

# %%
if not headless:
    show(postman_form(rb))

# %% [markdown]
# ## Live mode: what the runbook would do in your account
#
# Before any step acts, the cell below reads your account with GET requests only (nothing is
# changed) and shows, step by step, what a run would reuse, create, buy and send, with the values
# the notebooks hold now; each step's form says it again beside its button. It needs the Account
# SID and Auth Token in the env file (step 01 saves them, and only reads the account). For a
# change request, `python -m onboarding_helpers run --live --plan` writes this plan to a file, and
# `run --live --apply PLAN.json` runs exactly what was approved.

# %%
if rb.settings.mode == "live" and not headless:
    show(plan_panel(rb))

# %% [markdown]
# ## Do you send to numbers outside Singapore?
#
# If **every** recipient has a Singapore number, skip step 04a: your Sender ID is enough.
#
# Foreign numbers depend on the country. Twilio sends with your Sender ID to every country that
# accepts alphanumeric Sender IDs, so many need nothing more. Some countries accept one only after
# it is registered there, some not at all; messages to those go out from a phone number in your
# sender pool, if it has one. The United States needs more than a bought number: a US number must
# be registered for A2P 10DLC, or a toll-free number verified, before US phones receive its SMS.
# The optional step **04a**, taken *before* step 04, says what the countries you send to need and
# buys a number only if you confirm the cost (headless: `-p buy_phone_number True -p
# confirm_purchase True`). Steps 05 and 06 tell you which sender a test number will see.

# %% [markdown]
# ## Training scenarios (sandbox)
#
# Trainers can start a **scenario**: a new practice account set up to go wrong at one step, the way
# real accounts do (a Trial account, a Sender ID owned by another agency, a lost API secret, a flaky
# network ...). The trainee then works through the notebooks as usual and follows the runbook's
# advice to the fix. Starting a scenario replaces the practice account in the env file and starts
# the progress board afresh. The trainer's guide is `docs/TRAINERS.md`.

# %%
show(scenarios_panel())

# %%
if not headless:
    show(form(rb))

# %% [markdown]
# ## Progress
#
# Come back to this notebook any time to see which steps are done. Next: **01_account_sid**.

# %%
show(board_panel(rb.progress))
