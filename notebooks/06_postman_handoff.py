# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Hand the four values to Postman
#
# The last step of the guide: in Postman you type a label and the four values, then your phone
# number, and Postman sends a test SMS. It saves the credential **only if that SMS is accepted by
# Twilio**. This notebook makes the same call Postman makes, before you open Postman.
#
# **The Postman-equivalent check.** Postman does not use your Auth Token. It signs in to Twilio with
# the **API key SID and its secret**, scoped to your **Account SID**, and sends with the **Messaging
# Service SID as the sender** (`From = MG...`). The runbook does exactly that, with the same
# credentials from your env file, and then follows the message as step 05 did. If this check passes,
# Postman's will too.
#
# **The hand-off card** shows the four values under the names Postman's form uses, with the secret
# masked, a suggested credential label that Postman accepts (lowercase letters, digits and dashes,
# at most 50 characters), and the checklist for Postman's Settings page.
#
# **The run report** is a short Markdown file in the state folder listing what was checked and
# created, with SIDs and times and no secret, ready to attach to an internal ticket.
#
# **Cost:** in live mode the check sends one real SMS billed to your account (about USD 0.0415 to
# Singapore), just as Postman's own check will. Headless without `test_phone`, nothing is sent: the
# card and report are still made, and the runbook only checks, at no cost, that the API key signs in
# and can see the Messaging Service.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
test_phone: str = ""  # your own mobile, e.g. +6581234567; empty: headless sends nothing
credential_label: str = ""  # label for Postman (^[a-z0-9-]+$, max 50); empty: suggested
wait_seconds: float = 60.0  # how long to wait for a final status (0 to 600)
resend: bool = False  # True: check again even if these values already passed
headless: bool = False  # True when run by papermill: no form, send only if test_phone is set

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.messages import before_send_panel, status_panel
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.handoff import form, hand_off, panel

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Check like Postman, then copy the values
#
# Type your mobile number (or leave it empty to skip the SMS) and press **Check like Postman**. The
# card appears below with the report's location.
#
# To copy the secret, press **Show API Secret**: it appears for a few seconds and then disappears.
# It is only ever in that button's display, never printed into the notebook. Widget contents are not
# saved with the notebook unless JupyterLab's *Save Widget State Automatically* setting is on; it is
# off by default, so keep it off. When the runbook runs headless, the secret is never shown.

# %%
if not headless:
    show(form(rb, wait_seconds=wait_seconds))

# %%
if headless:
    show(before_send_panel(rb, test_phone, "Postman's check SMS"))
    handoff = run_step(
        lambda: hand_off(
            rb,
            test_phone,
            credential_label,
            resend=resend,
            wait_seconds=wait_seconds,
            on_status=lambda u: show(status_panel(u)),
        ),
        panel,
    )
    print(f"Run report: {handoff.report_path}")

# %% [markdown]
# ## In Postman
#
# Follow the checklist on the card. Two things to remember: Postman keeps a credential only if its
# own test SMS goes out, and a saved credential cannot be changed, only deleted (which cannot be
# undone) and added again under a new label.
#
# That is the whole onboarding. Come back to **00_start_here** to see the progress board.
