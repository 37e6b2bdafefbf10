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
# test. Type it as you like (`8123 4567`, `+65 8123 4567`); note that Postman's own number field
# takes no spaces, so there you write `+6581234567`. The runbook takes every Singapore number
# Postman takes; if its phone-number database does not know your number's range yet, it says so
# and carries on. Landlines cannot receive SMS.
#
# A foreign number works wherever your service has a sender for that country: Twilio sends with
# your Sender ID to every country that accepts alphanumeric Sender IDs, and from a number in your
# sender pool (step 04a) where they are not accepted. The result says which sender the phone will
# show and what the country still needs (some want the Sender ID registered there first). The
# runbook refuses, before sending, a country nothing in your pool can reach, and a US number until
# you confirm that your US number is registered for A2P 10DLC or is a verified toll-free number
# (`us_sender_registered`; the runbook cannot check that itself).
#
# **Sent or delivered?** Twilio reports *sent* when it has handed the message to the mobile
# network, and *delivered* when the network confirms that it reached the phone. Postman counts
# *sent* as finished, so a campaign shows such a message as a success even when the network never
# confirms it. The runbook waits up to `wait_seconds` for *delivered*; if the message is still
# *sent* by then, it reports "sent, carrier did not confirm" and tells you what to look for on your
# phone.
#
# **Cost:** in live mode this sends a real SMS billed to your account (about USD 0.0415 for one
# message to Singapore). Each click of the button sends one. A headless run with `test_phone` sends
# one unless an earlier run's message to that phone was already delivered (set `resend` to send
# again). Run headless without `test_phone` and nothing is sent. The sandbox bills nothing.
#
# **The Auth Token:** this step sends as the account owner, like the console, so it needs the Auth
# Token. If you put it away in step 06, the form asks for it for this one send and does not keep
# it; a re-run that reuses a delivered message needs none.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
test_phone: str = ""  # your own mobile, e.g. +6581234567; empty: headless sends nothing
wait_seconds: float = 60.0  # how long to wait for "delivered" before saying "sent" (0 to 600)
resend: bool = False  # True: send again even if an earlier run's message was delivered
us_sender_registered: bool = False  # True: your US number is registered (A2P 10DLC or toll-free)
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
# number that does not exist, or a foreign number your service cannot reach is refused with the
# reason, and nothing is sent). Then each status appears as Twilio reports it: *accepted* and
# *queued* (Twilio has it), *sending* and *sent* (handed to the mobile network), and finally
# *delivered*, or *undelivered* / *failed* with an error code and what to do about it.
#
# If the message stays *sent* until the time limit, the network did not confirm delivery: the
# runbook says "sent, carrier did not confirm" rather than calling it delivered. Look at your phone,
# and check that the sender shows your registered Sender ID. Step 06 remembers this: it then
# follows its own message only briefly instead of waiting the whole time again.

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
            us_sender_registered=us_sender_registered,
            on_status=lambda u: show(status_panel(u)),
        ),
        panel,
    )

# %% [markdown]
# Next: **06_postman_handoff**, which checks the four values exactly the way Postman will and gives
# you the card to copy them from.
