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
# The last step of the guide: the four values go into Postman. Where they go depends on the Postman
# you chose in step 00:
#
# * **Postman legacy** (legacy.postman.gov.sg): under *Settings > Credentials* you type a label,
#   the four values and your mobile number, and Postman sends a test SMS. It saves the credential
#   **only if that SMS is accepted by Twilio**. The label must follow Postman's rule (lowercase
#   letters, digits and dashes, at most 50 characters) and differ from every label you saved
#   before: Postman refuses a repeat with "Label already exists".
# * **Postman v2** (postman.gov.sg, Internal SMS): each campaign takes the four values, with channel
#   type *Internal Staff*, and your registered Sender ID as the *Expected Sender Name*. There is no
#   label, and Postman sends no test SMS when you enter them, so the check below is your only proof
#   before the first campaign.
#
# **The Postman-equivalent check.** Neither Postman uses your Auth Token. Both sign in to Twilio
# with the **API key SID and its secret**, scoped to your **Account SID**, and send with the
# **Messaging Service SID as the sender** (`From = MG...`). The runbook does exactly that, with the
# same credentials from your env file, and then follows the message as step 05 did. If this check
# passes, Postman's sending will work too. When step 05 already followed a message to the same phone
# to *sent* or *delivered*, this check follows its own message only briefly (10 s, or
# `wait_seconds` if shorter) and reports "sent, carrier did not confirm" instead of waiting the
# whole time again.
#
# **The hand-off card** shows the values under the names Postman's form uses, with the secret
# masked, your phone number as Postman's field takes it (`+6581234567`, no spaces), and the
# checklist for your Postman.
#
# **The run report** is a short Markdown file in the state folder listing what was checked and
# created, with SIDs and times and no secret, ready to attach to an internal ticket.
#
# **Cost:** in live mode the check sends one real SMS billed to your account (about USD 0.0415 to
# Singapore), just as Postman's own sending will. Headless without `test_phone`, nothing is sent:
# the card and report are still made, and the runbook only checks, at no cost, that the API key
# signs in and can see the Messaging Service.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
test_phone: str = ""  # your own mobile, e.g. +6581234567; empty: headless sends nothing
credential_label: str = ""  # legacy Postman's label (^[a-z0-9-]+$, max 50); empty: suggested
wait_seconds: float = 60.0  # how long to wait for "delivered" (0 to 600; brief after 05)
resend: bool = False  # True: check again even if these values already passed
us_sender_registered: bool = False  # True: your US number is registered (A2P 10DLC or toll-free)
forget_auth_token: bool = False  # True: remove the Auth Token from the env file at the end
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
# card appears below with the report's location. Legacy Postman's form also takes a credential
# label here; Postman v2 has none.
#
# Each value on the card has a **Copy** button: paste it straight into Postman's field. The API
# Secret's button copies it without showing it: it asks the running kernel for the secret and puts
# it on the clipboard, so it works only while this notebook's kernel is running. Copying needs the
# page served over https or from this computer (127.0.0.1 or localhost); elsewhere the buttons
# select the value for Ctrl+C instead, and the secret has to be taken from the env file.
#
# To read the secret, press **Show API Secret**: it appears for a few seconds and then disappears.
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
            us_sender_registered=us_sender_registered,
            forget_auth_token=forget_auth_token,
            on_status=lambda u: show(status_panel(u)),
        ),
        panel,
    )
    print(f"Run report: {handoff.report_path}")

# %% [markdown]
# ## In Postman
#
# Follow the checklist on the card. With legacy Postman, remember that it keeps a credential only if
# its own test SMS goes out, and that a saved credential cannot be changed, only deleted (which
# cannot be undone) and added again under a new label. With Postman v2, enter the values in each
# new Internal SMS campaign and send the first one to yourself.
#
# ## Put the Auth Token away
#
# Postman never needs your Auth Token: it is the account's master credential, and Twilio advises
# against keeping it where it is not needed. Once the check has passed, press **Remove the Auth
# Token from the env file** in the form (headless: `-p forget_auth_token True`). No copy is kept,
# on purpose; the token is still shown in the Twilio console (Account Info) if a step ever needs
# it. Afterwards step 03 and this step still work, since they use the API key. A step that needs the
# token (01, 02, 04, 04a, 05's send) stops and tells you how to give it for one action.
#
# That is the whole onboarding. Come back to **00_start_here** to see the progress board.
