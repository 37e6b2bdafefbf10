# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04a · (Optional) Foreign recipients: what each country needs, and a phone number if one does
#
# **Take this step only if you send SMS to numbers outside Singapore.** Sending only to Singapore
# numbers? Skip it: your Sender ID is enough.
#
# **Why:** once your Messaging Service holds your Sender ID, Twilio sends it to every country that
# takes alphanumeric Sender IDs, and uses a phone number from the sender pool only where they are
# not taken. So most foreign recipients need **no number at all**. Some countries (Indonesia, the
# Philippines, Thailand, Vietnam, Australia ...) take your Sender ID only once it is registered
# there. A few take numbers only. The **US** is the hard case: alphanumeric Sender IDs do not work
# in the US or Canada, and since September 2023 a US number alone does not reach US phones either:
# it must be registered for A2P 10DLC (a brand and a campaign) or be a verified toll-free number.
# Whatever the country, Messaging Geo Permissions in the console must allow it.
#
# **What you need:** the countries your agency sends to, as two-letter codes (`MY, US, GB`). The
# step says what each one needs, with the Twilio page it comes from, before anything is bought.
#
# **What a number costs:** the guide quotes **about USD 1.15 a month** for a US number, billed to
# your agency's Twilio account every month until the number is released in the console.
#
# **Order:** the guide puts the number into the sender pool *before* the Sender ID, so this step
# comes before 04. It creates the Messaging Service (or reuses the one with the same name) and puts
# the number in; step 04 then adds your Sender ID to the same service. Use the **same service name**
# in both steps (leave it empty in 04 to reuse this one).
#
# **Nothing is bought without your explicit confirmation.** A number the runbook bought before is
# reused, never bought twice.

# %% tags=["parameters"]
mode: str = ""  # "sandbox" or "live"; empty: $ONBOARDING_MODE or sandbox
env_file: str = ""  # credentials; empty: $ONBOARDING_ENV_FILE, else .env.sandbox / .env (live)
state_dir: str = ""  # progress record; empty: $ONBOARDING_STATE_DIR or .runbook
messaging_service_name: str = ""  # ≤64 characters; empty: as used earlier, else "Postman SMS"
usecase: str = "notifications"  # purpose, if the service is created here (see step 04)
foreign_countries: str = ""  # countries you send to outside Singapore, e.g. "MY, US"; see below
buy_phone_number: bool = False  # True: a country you send to needs a number (see the advice)
confirm_purchase: bool = False  # True too, to accept the monthly cost; else nothing is bought
headless: bool = False  # True when run by papermill: no form, use the parameters above

# %%
from onboarding_helpers.display import run_step, show
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.steps.phone_number import buy_phone_number as buy
from onboarding_helpers.steps.phone_number import form, panel

rb = open_runbook(mode, env_file, state_dir)

# %% [markdown]
# ## Your destinations, then choose, confirm, buy
#
# Type the countries you send to: what each needs shows as you type. Buy a number only if one of
# them needs it. Press **Show available numbers** to see US numbers with SMS capability (nothing is
# bought). Pick one, tick the confirmation, then press **Buy and add to service**. The runbook buys
# the number, then creates or reuses the Messaging Service and puts the number into its sender
# pool. For US recipients, register the number for A2P 10DLC in the console afterwards.
#
# Headless, name the countries with `-r foreign_countries "MY, US"`, and to buy pass both
# `-p buy_phone_number True` and `-p confirm_purchase True`; with only the first, the run stops
# here, lists the numbers on offer and buys nothing.

# %%
if not headless:
    show(form(rb, messaging_service_name, usecase, foreign_countries=foreign_countries))

# %%
if headless:
    number = run_step(
        lambda: buy(
            rb,
            messaging_service_name,
            usecase,
            buy_phone_number,
            confirm_purchase,
            foreign_countries=foreign_countries,
        ),
        panel,
    )

# %% [markdown]
# Next: **04_messaging_service**, which adds your Sender ID to the same service and saves its SID.
