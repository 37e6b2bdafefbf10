# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Health check
#
# An optional step, for any time after the hand-off: **"our SMS campaign did not arrive"**. It
# reads what your Postman holds and says why messages fail, so you do not have to open Twilio's
# message log one message at a time and guess which error codes matter.
#
# **Why.** Twilio's console counts messages per error code, but nothing there ties them to the
# four values Postman holds, to your Sender ID's registration, or to what to do next. This check
# does, in one pass:
#
# * the **API key** signs in, and for a Restricted key, which permissions its policy refused;
# * the **Messaging Service** exists and its sender pool holds your **Sender ID** (and a number
#   for the countries abroad your recipients live in, where they need one);
# * the **balance** against `low_balance` (a prepaid account stops sending when it runs out);
# * the service's **messages of the last `days`**: totals by status and by error code, the
#   delivery rate, the recipients' countries, and for each error code Twilio's cause and what to
#   do in Postman (a STOP opt-out, a number that no longer exists, a filtered Sender ID ...).
#
# Each check is one line: ✔ passed, ! look at it, ✖ fix it. A finding is not a failure: the step
# fails only when it cannot read anything, and then names the value to check.
#
# **What you need:** the four values Postman holds, nothing more. They come from the env file
# (the runbook's set-up); for a set-up made by hand, type them in the form below. **No Auth
# Token**: it works after `forget_auth_token`. It is **read-only**: only GET requests, signed
# with the API key the way Postman signs, and nothing typed is saved.
#
# **What it leaves:** `health-<UTC time>.json` in the state folder (counts, error codes, every
# check and its advice; phone numbers masked, no secret) and a section in the run report.
#
# **Cost:** none. Large accounts are read 1,000 messages a request, with a line per page.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
days: float = 7  # how many days of messages to read, back from now (up to 400)
low_balance: float = 20  # warn when the balance is below this (your account's currency)
headless: bool = False  # True when run by papermill: no form, use the parameters above

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.health_check import form, health_check, page_panel, panel

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Run the check
#
# The fields hold the env file's values. For a set-up made by hand, type the values Postman
# holds instead: the API secret field is read when you press the button and kept nowhere. Press
# **Run the health check**; a line per page shows how far the message log has been read.

# %%
if not headless:
    show(form(rb, days, low_balance))

# %%
if headless:
    health = run_step(
        lambda: health_check(
            rb, days=days, low_balance=low_balance, on_page=lambda p: show(page_panel(p))
        ),
        panel,
    )

# %% [markdown]
# ## Reading the findings
#
# * **✖ Error 30007**, a filtered message: in Singapore the Sender ID is not registered with
#   SGNIC, not yet mapped to your account by Twilio, or another organisation's. The line says
#   which Sender ID those messages went out as.
# * **! Error 21610**: those recipients replied STOP; take them off the campaign's list in
#   Postman. **! 30003, 30005, 30008**: phones off, numbers that no longer exist, carrier errors;
#   nothing is wrong with the set-up.
# * **! Postman's send** on a Restricted key: a read-only check cannot try sending. Step 06
#   proves it with one test SMS.
#
# Run it again after a fix, or with a longer `days` to compare campaigns.
