# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Send a test message
#
# Before Postman is involved, send one SMS through your Messaging Service to **your own phone** and
# watch what happens to it. This is the guide's step 5 (the console's *Try it out > Send an SMS*),
# done for you: the runbook sends the message, then asks Twilio for its status every so often until
# it is delivered, fails, or the time limit runs out, and shows each status as it comes.
#
# **Why this step matters:** a message can be accepted by Twilio and still never reach a phone. In
# Singapore the usual reason is the Sender ID: not registered with SGNIC, not yet mapped to your
# account by Twilio, or already owned by another agency. Finding that out here, with the error code
# explained, is much easier than from a Postman campaign that silently fails.
#
# **What you need:** your own mobile phone. A Singapore mobile (starting with 8 or 9) is the normal
# test. A foreign number only works if you bought a phone number in step 04a, because an
# alphanumeric Sender ID does not reach most countries. Landlines cannot receive SMS.
#
# **Cost:** in live mode this sends a real SMS billed to your account (about USD 0.0415 for one
# message to Singapore). Each click of the button sends one. A headless run with `test_phone` sends
# one unless an earlier run's message to that phone was already delivered (set `resend` to send
# again). Run headless without `test_phone` and nothing is sent. The sandbox bills nothing.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
test_phone: str = ""  # your own mobile, e.g. +6581234567; empty: headless sends nothing
wait_seconds: float = 60.0  # how long to wait for a final status (0 to 600)
resend: bool = False  # True: send again even if an earlier run's message was delivered
headless: bool = False  # True when run by papermill: no form, send only if test_phone is set

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.test_message import (
    before_send_panel,
    form,
    panel,
    send_test_message,
    status_panel,
)

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Send and watch
#
# Type your mobile number and press **Send test SMS**. The number is checked first (a landline, a
# number that does not exist, or a foreign number without step 04a is refused with the reason, and
# nothing is sent). Then each status appears as Twilio reports it: *accepted* and *queued* (Twilio
# has it), *sending* and *sent* (handed to the mobile network), and finally *delivered*, or
# *undelivered* / *failed* with an error code and what to do about it.
#
# If the message stays *sent* until the time limit, the network did not confirm delivery: the
# runbook says so rather than calling it delivered. Look at your phone, and check that the sender
# shows your registered Sender ID.

# %%
if not headless:
    show(form(rb, wait_seconds=wait_seconds))

# %%
if headless:
    show(before_send_panel(rb, test_phone))
    sent = run_step(
        lambda: send_test_message(
            rb,
            test_phone,
            resend=resend,
            wait_seconds=wait_seconds,
            on_status=lambda u: show(status_panel(u)),
        ),
        panel,
    )

# %% [markdown]
# Next: **06_postman_handoff**, which checks the four values exactly the way Postman will and gives
# you the card to copy them from.
