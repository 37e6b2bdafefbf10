# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Your Secret Key
#
# Twilio showed the API key's **secret** once, when the key was made in step 02, and will never show
# it again. Postman's guide warns that if you lose it, you have to start the key over. The runbook
# saved it the moment it arrived; this step shows you **where** it is kept and **proves it works**.
#
# **Why this step matters:** a secret that is saved but wrong is worse than none, because the
# mistake only shows when Postman's test SMS fails. Here the runbook signs in to Twilio with the key
# SID and the secret exactly as Postman will (key + secret, scoped to your account) and makes one
# call the key is allowed to make. A Standard key lists your phone numbers; a Restricted key, which
# may only do what Postman needs, looks up one message that cannot exist (Twilio checks the key and
# its permissions before it looks, so "not found" is the good answer). Neither touches the account
# or key management calls, which such keys may not use. Only when Twilio accepts the pair does this
# step say it is good.
#
# **What you need:** step 02 done. Nothing to type.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
copy_to_keyring: bool = False  # True: also keep a copy in the OS keyring (only where usable)
headless: bool = False  # True when run by papermill: no form, check the pair directly

# %%
from onboarding_helpers.display import run_step, show, store_panel
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.secret_key import (
    check_secret,
    form,
    keyring_panel,
    keyring_status,
    panel,
)

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Where the secret is kept
#
# The **env file** is the credential store: one file, readable only by you (mode 0600), written in
# one step so a crash never leaves half of it. Secrets are shown masked (`••••` and the last four
# characters). The secret is never put in a notebook, the progress record, the journal or a log.

# %%
show(store_panel(rb.store))

# %% [markdown]
# ## The OS keyring, where there is one
#
# On a laptop with a keyring service (macOS Keychain, Windows Credential Locker, GNOME Keyring or
# KWallet) and the `keyring` Python package, the runbook can also keep a copy of the secret there.
# The env file stays the store the runbook reads; the keyring copy is a second place, and step 02
# uses it to restore the secret if the env file ever loses it. On a server or in CI there is usually
# no keyring service: `keyring` then falls back to a backend that refuses every write, and the
# runbook says so below and keeps using the env file alone.

# %%
show(keyring_panel(keyring_status()))

# %% [markdown]
# ## Check the key and secret
#
# Press **Check key and secret**. **Show the secret** displays it for a few seconds, for copying
# into a password manager; it then hides itself, and it is never stored in the notebook.

# %%
if not headless:
    show(form(rb))

# %%
if headless:
    secret = run_step(lambda: check_secret(rb, copy_to_keyring), panel)

# %% [markdown]
# ## If Twilio does not accept the pair
#
# * **Step 02 created the key a moment ago:** a new key can take a moment to work; run this step
#   again in a minute.
# * **The env file was edited by hand:** the secret there is not this key's. Put the right one back.
# * **The key was deleted in the console, or the secret is lost:** run **07_rotate_key**. It makes
#   a new key in its place and saves its secret; with no working pair it cannot check the old key
#   first, and says so.
#
# Next: **04_messaging_service** (or **04a_buy_phone_number** first if you send to foreign numbers).
