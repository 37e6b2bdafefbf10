# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Your Account SID
#
# The **Account SID** identifies your agency's Twilio account, much as an NRIC number identifies a
# person. Postman needs it to know whose account to send from.
#
# **Why this step matters:** everything after this runs inside this account. This step also checks
# that the account is ready: a Trial account, or one that is suspended or closed, cannot send with
# your Sender ID, and the runbook stops here with what to do rather than failing later. It also
# reads the account's **balance**: Twilio accounts are prepaid, so a campaign stops the moment the
# balance runs out. You see roughly how many Singapore SMS it pays for, and a warning when it is
# below `low_balance`.
#
# **What you need:** log in to the Twilio console. On the dashboard, under *Account Info*, copy the
# **Account SID** (starts with `AC`) and the **Auth Token** (click *Show*). The Auth Token is only
# used to set things up; Postman never receives it. Once the hand-off is done you can put it away
# (step 06); steps that need it later ask you to type it for that one action.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
account_sid: str = ""  # AC + 32 characters; empty: the one saved in the env file
low_balance: float = 20  # warn when the balance is below this (your account's currency)
headless: bool = False  # True when run by papermill: no form, check the account directly

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.account import check_account, form, panel

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Enter and check
#
# Paste the Account SID and the Auth Token, then press **Check account**. The runbook fetches the
# account from Twilio, then its balance. Only when the account is active and upgraded are both
# values saved to the env file (the token hidden, the file readable only by you). In sandbox mode
# both are already filled in. If you put the Auth Token away after the hand-off, what you type is
# used for this check only, unless you tick *Keep the Auth Token*.
#
# The estimate of SMS uses USD 0.0415 per Singapore segment of up to 160 plain characters, the
# price the Postman v2 guide quoted in March 2024; Twilio's prices change, so treat it as a rough
# guide. To keep campaigns from stopping, turn on auto-recharge in the console (Billing > Billing
# Overview) and a balance notification.

# %%
if not headless:
    show(form(rb, low_balance=low_balance))

# %%
if headless:
    account = run_step(lambda: check_account(rb, account_sid, low_balance=low_balance), panel)

# %% [markdown]
# Next: **02_api_key**, where you create the Standard API key that Postman signs in with.
