# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Your Messaging Service SID and Sender ID
#
# A **Messaging Service** is the sender Postman names when it sends: Postman passes its SID
# (`MG` + 32 characters) where a phone number would go, and Twilio picks the sender from the
# service's **sender pool**. For Singapore recipients that sender is your agency's **alphanumeric
# Sender ID** (for example `GOVTECH`), the name recipients see instead of a number.
#
# **Why this step matters:** this is where most officers go wrong in the console. The Sender ID
# breaks a rule, or alphanumeric Sender IDs are not switched on for the account, or the account is
# not upgraded yet. An ID registered by another agency is the worst case: Twilio cannot see SGNIC's
# registry, so it accepts the ID here and the mistake only shows when the test SMS never arrives.
# This notebook checks the Sender ID before anything is created and explains each refusal.
#
# **What you need:**
#
# * the Sender ID your agency **registered with SGNIC** (the SSIR approval), exactly as registered;
# * a name for the service, e.g. `Postman SMS – <your agency>` (at most 64 characters);
# * its purpose (use case). The guide asks you to state it: it tells your services apart, and
#   Twilio's support finds your case faster. Postman campaigns are usually *notifications*.
#
# **Foreign recipients?** Twilio sends your Sender ID to every country that takes one, so most
# foreign numbers need nothing more. Some countries need the ID registered there first, and a few
# (the US, Canada) take only numbers. **04a_buy_phone_number** says what each country you name
# needs, and buys a number only if one is needed; the number goes into the sender pool before the
# Sender ID, as in the guide. Sending only to Singapore numbers? Skip 04a.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
sender_id: str = ""  # exactly as registered with SGNIC; empty: an earlier run's (sandbox: GOVTECH)
messaging_service_name: str = ""  # ≤64 characters; empty: as in 04a/earlier, else "Postman SMS"
usecase: str = "notifications"  # or marketing, verification, discussion, poll, undeclared
headless: bool = False  # True when run by papermill: no form, use the parameters above

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.messaging_service import form, panel, set_up_messaging_service

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## The Sender ID rules
#
# The runbook refuses only what Twilio or SGNIC says is wrong, and names every rule that fails:
#
# * 3 to 11 characters (SGNIC's minimum; Twilio's and SGNIC's maximum);
# * letters A–Z and a–z, digits, spaces and the symbols `- + _ &` (what Twilio takes); Latin
#   characters only (SGNIC);
# * at least one letter, and no space at the start or the end;
# * not `OTP` or `SMS`, the generic IDs SGNIC itself names as refused.
#
# It only **warns** about what it suspects: a word that sounds generic (`INFO`, `NOTICE` ...), and
# the symbols `- + _ &`, which SGNIC allows only if its rules' Annex lists them.
#
# The runbook cannot see SGNIC's registry: check yourself that the ID is **exactly** the one on your
# approval, letter case included. An ID registered by another agency is not refused here; the guide
# says it shows as an error on the Sender Pool page or as a test SMS that never arrives (step 05).
# If Twilio refuses the ID (error 21709), the reason is one of two: alphanumeric Sender IDs are not
# switched on for the account, or Twilio does not take its format. The notebook tells them apart.

# %% [markdown]
# ## Create the service and add the Sender ID
#
# Press **Set up Messaging Service**. The runbook reuses a service with the same name that an
# earlier run (or 04a) made, puts a number bought in 04a into the sender pool if it is not there
# yet, adds the Sender ID, and saves the `MG` SID to the env file. Running it again creates nothing
# new. A service holds one Sender ID: if it already holds a different one, the runbook changes
# nothing and explains.

# %%
if not headless:
    show(form(rb, sender_id, messaging_service_name, usecase))

# %%
if headless:
    service = run_step(
        lambda: set_up_messaging_service(rb, sender_id, messaging_service_name, usecase), panel
    )

# %% [markdown]
# The panel shows what the console's **Properties** page would: the **Messaging Service SID**, the
# service's name and use case, and its sender pool. In Postman this value goes into the field
# *Messaging Service ID*.
#
# Next: **05_send_test_message**, which sends a real SMS through this service to prove the Sender ID
# arrives. That is also where an ID registered by another agency shows: the message is blocked.
