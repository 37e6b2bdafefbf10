# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Rotate the API key
#
# An optional step for later, after the hand-off. Postman keeps using the same API key for years,
# and sooner or later it has to change: a colleague who handled the secret leaves, the secret may
# have leaked (pasted into a chat, left in a shared folder), or your agency's policy asks for a new
# key every year. This notebook changes it **without Postman ever holding a key that no longer
# works**.
#
# **Why the order matters.** Revoke the old key first and every campaign using it fails at once.
# So the runbook goes the other way round, in two phases:
#
# 1. **Phase one:** make a new key of the same kind as the current one (Standard, or Restricted if
#    step 02 made a Restricted one), save its secret the moment Twilio shows it, check it, and send
#    one test SMS with it exactly the way Postman sends. The old key keeps working. The panel then
#    shows where the new values go in the Postman you use.
# 2. You put the new values into Postman.
# 3. **Phase two:** tick **Postman uses the new key** (headless: `postman_updated` True). The
#    runbook checks the new key once more and only then revokes the old one.
#
# **What you need:** steps 01 to 06 done, and the account's Auth Token. If you put the token away
# after step 06, type it in the form's **Auth Token** field: it is used for one press and not saved.
# Headless, add it back to the env file for this run.
#
# **Where the old secret goes.** The env file gets the new pair. Its previous contents, old pair
# included, are kept in a dated backup beside it (readable only by you), and the old key's SID is
# kept in the progress record, so nothing is lost until you choose to revoke.
#
# **Lost secret?** If the env file no longer holds a working pair (the secret is lost or wrong),
# this step still makes the new key, but it cannot check the old one first, and says so.
#
# **Cost:** in live mode the check sends one real SMS billed to your account, as Postman's own check
# would. Leave the phone empty and no SMS is sent: the new key then only fetches your Messaging
# Service, at no cost.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
test_phone: str = ""  # your own mobile for the check SMS, e.g. +6581234567; empty: no SMS
postman_updated: bool = False  # True, on purpose, once Postman uses the new key: revoke the old
wait_seconds: float = 60.0  # how long to wait for the check SMS's final status (0 to 600)
headless: bool = False  # True when run by papermill: no form, use the parameters above

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.messages import before_send_panel, status_panel
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.rotate_key import form, panel, rotate_key

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Phase one: the new key
#
# Type your mobile number (or leave it empty) and press **Make and check the new key**. Running it
# again is safe: once the new key is saved, the runbook checks that same key again and never makes
# a second one, even after an interrupted run. A check that already passed is not sent again.
#
# **Show API Secret** displays the new secret for a few seconds, for copying into Postman; it is
# never printed into the notebook. If the env file could not be written when the key was made, the
# secret goes to a rescue file beside it, or appears **once** in a panel that clears when you press
# **I have saved it**.

# %%
if not headless:
    show(form(rb, test_phone, wait_seconds))

# %%
if headless:
    if not postman_updated:
        show(before_send_panel(rb, test_phone, "one check SMS with the new key"))
    rotation = run_step(
        lambda: rotate_key(
            rb,
            test_phone,
            postman_updated,
            wait_seconds=wait_seconds,
            on_status=lambda u: show(status_panel(u)),
        ),
        panel,
    )

# %% [markdown]
# ## Where the new values go
#
# Only the **API Key SID** and the **API Secret** change; the Account SID and the Messaging Service
# ID stay the same.
#
# * **Legacy Postman** (legacy.postman.gov.sg): a saved credential cannot be edited. Add a new one
#   under Settings > Credentials with a new label (the panel suggests one), give it the four values
#   and your mobile (Postman sends one test SMS and saves only if Twilio accepts it), then switch
#   every campaign that uses the old credential to the new one.
# * **Postman v2** (postman.gov.sg): open each campaign that sends through your Twilio account
#   (channel type Internal Staff) and replace the API Key SID and API Secret in its settings. v2
#   sends no test SMS when you save, so this notebook's check is your proof.
#
# ## Phase two: revoke the old key
#
# Only once Postman uses the new key: tick **Postman uses the new key** and press **Revoke the old
# key** (headless: `-p postman_updated True`). The runbook checks the new key again, then revokes
# the old one; from then on Twilio refuses the old pair. The box clears itself after every press.
#
# Next time you rotate, run this notebook again: each rotation is phase one, Postman, phase two.
