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
# **Which kind of key:** Twilio offers three.
#
# * **Standard** (the default here, and what both Postman guides ask for): can use every Twilio API
#   except managing the account and its keys, so a leaked copy cannot make more keys or take over
#   the account. It can still do a lot, though: buy phone numbers, send SMS to anyone, and read
#   your message log (every recipient and text).
# * **Restricted** (`api_key_type` = `restricted`): holds only the permissions listed in its
#   policy. The runbook's policy allows what Postman does (send a message) and what the runbook's
#   own checks need (look up one message or the Messaging Service, list the service's senders),
#   nothing else: a leaked copy could send messages through your service but not buy numbers or
#   read your message log. Twilio made Restricted keys generally available in December 2025, and
#   only in its US region (the default one, which the runbook uses). Postman's guide does not ask
#   for one: choose it if your agency prefers least privilege, knowing it is a step beyond the
#   guide.
# * **Main**: as powerful as your Auth Token, including managing keys. Postman never needs that;
#   do not give it one.
#
# **Why this step matters:** the secret is shown **once**, the moment the key is made, and can never
# be read again. Lose it and you must make a new key. The runbook writes it to your env file (mode
# 0600) in the same instant Twilio sends it, before anything else can go wrong.
#
# **What you need:** step 01 done (your Account SID and Auth Token are saved). Then one of:
#
# * **Create it for me** (recommended): give the key a friendly name, or keep the suggested one, and
#   pick its type. The runbook first lists the keys already in the account so you see what exists,
#   then creates the key and saves its secret.
# * **I made it in the console** (Admin > Account management > Keys & credentials > API keys &
#   tokens > Create API key): paste the key SID and the secret, and pick the type you chose
#   there. The runbook checks the pair with Twilio **before** it saves it. Headless, write them
#   into the env file as `TWILIO_API_KEY_SID=...` and `TWILIO_API_KEY_SECRET=...` and set
#   `api_key_source` to `console`: a secret is never a parameter.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
api_key_source: str = "create"  # "create", or "console": the pair is already in the env file
api_key_name: str = ""  # name of a new key; empty: "Postman SMS - <account name> - <date>"
api_key_type: str = "standard"  # "standard" (what Postman's guide asks) or "restricted"
revoke_orphan_keys: bool = False  # True: revoke keys the runbook made whose secret is not saved
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
    show(form(rb, api_key_name, api_key_type=api_key_type))

# %%
if headless:
    api_key = run_step(
        lambda: set_up_api_key(
            rb,
            api_key_source,
            api_key_name,
            api_key_type=api_key_type,
            revoke_orphan_keys=revoke_orphan_keys,
        ),
        panel,
    )

# %% [markdown]
# ## Lost the secret, or time for a new key?
#
# A lost secret cannot be recovered, not even by Twilio, and a key whose secret may have leaked
# should be replaced. Both go through **07_rotate_key**, the one rotation path: it makes a new key
# of the same type, saves its secret at once, checks it the way Postman will use it, shows where it
# goes in Postman, and revokes the old key only after you confirm Postman uses the new one. If the
# env file holds no working pair (the secret is lost), 07 still makes the new key; it just cannot
# check the old one first.
#
# Next: **03_secret_key**, which shows where the secret is kept and proves the pair works.
