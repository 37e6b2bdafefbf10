# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Your API key SID
#
# Postman does not sign in to Twilio with your Auth Token. It signs in with an **API key**: a key
# SID (`SK` + 32 characters) and the key's **secret**. You can revoke a key at any time without
# touching the rest of the account, which is why Postman asks for one.
#
# **Which kind of key:** Twilio offers several.
#
# * **Standard** — can use Twilio's APIs (send messages, read the Messaging Service) but cannot
#   manage the account itself or its keys. This is what Postman's guide asks for: if Postman's copy
#   ever leaked, it could not be used to create more keys or take over the account.
# * **Main** — as powerful as your Auth Token, including creating and deleting keys. Postman does
#   not need that power; do not give it one.
# * **Restricted** — only the permissions you tick. Postman's guide does not use these: a missing
#   permission would make Postman's test SMS fail in a way that is hard to trace.
#
# **Why this step matters:** the secret is shown **once**, the moment the key is made, and can never
# be read again. Lose it and you must make a new key. The runbook writes it to your env file (mode
# 0600) in the same instant Twilio sends it, before anything else can go wrong.
#
# **What you need:** step 01 done (your Account SID and Auth Token are saved). Then one of:
#
# * **Create it for me** (recommended): give the key a friendly name, or keep the suggested one. The
#   runbook first lists the keys already in the account so you see what exists, then creates a
#   Standard key and saves its secret.
# * **I made it in the console** (Account > API keys & tokens > Create API key, type *Standard*):
#   paste the key SID and the secret. The runbook checks the pair with Twilio **before** it saves
#   it. Headless, write them into the env file as `TWILIO_API_KEY_SID=...` and
#   `TWILIO_API_KEY_SECRET=...` and set `api_key_source` to `console`: a secret is never a
#   parameter.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
api_key_source: str = "create"  # "create", or "console": the pair is already in the env file
api_key_name: str = ""  # name of a new key; empty: "Postman SMS - <account name> - <date>"
revoke_orphan_keys: bool = False  # True: revoke keys the runbook made whose secret is not saved
replace_key: bool = False  # True: make a new key although one is saved (lost or leaked secret)
revoke_old_key: bool = False  # True, on purpose: revoke the key that replace_key replaced
headless: bool = False  # True when run by papermill: no form, use the parameters above

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.api_key import form, panel, set_up_api_key

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Create or enter the key
#
# Choose how you get the key, then press **Set up API key**. **Show existing keys** lists what the
# account already has (the runbook also does this by itself before it creates one).
#
# **Running this again is safe.** If the env file already holds a key and secret that Twilio
# accepts, the runbook reuses them and creates nothing. If it finds a key it made earlier whose
# secret is not in the env file (an *orphan*, for example after an interrupted run), it says so;
# **Revoke orphan keys** (headless: `revoke_orphan_keys` True) deletes those, since nobody can use
# them.
#
# If writing the env file fails at the moment the key is made, the step stops loudly. The secret
# then goes to a rescue file beside the env file (readable only by you), and running the step again
# moves it into place; in this form it is also shown **once** in a panel that clears when you press
# **I have saved it**. The secret is never written to a log, the journal or a saved notebook.

# %%
if not headless:
    show(form(rb, api_key_name))

# %%
if headless:
    api_key = run_step(
        lambda: set_up_api_key(
            rb,
            api_key_source,
            api_key_name,
            revoke_orphan_keys=revoke_orphan_keys,
            replace_key=replace_key,
            revoke_old_key=revoke_old_key,
        ),
        panel,
    )

# %% [markdown]
# ## Lost the secret? Replace the key
#
# A lost secret cannot be recovered, not even by Twilio. Make a new key instead:
#
# 1. Tick **Replace the saved key** (headless: `-p replace_key True`) and press **Set up API key**.
#    The runbook creates a new key, saves its secret at once, checks the new pair with Twilio, and
#    keeps it. The old key is left alone, so nothing that still uses it breaks.
# 2. Put the new key into Postman (step 06 shows the values).
# 3. Only then revoke the old key: tick **Also revoke the replaced key** and press the button again
#    (headless: `-p revoke_old_key True`, without `replace_key`). The runbook revokes it only after
#    the key in the env file has been checked with Twilio in that same run.
#
# Set `replace_key` for one run only: each run with it makes another key. If a replace run stops
# after the new key was made, it is already saved: run again **without** `replace_key`.
# The same path rotates a key whose secret may have leaked.
#
# Next: **03_secret_key**, which shows where the secret is kept and proves the pair works.
