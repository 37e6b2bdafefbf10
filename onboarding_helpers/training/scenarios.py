"""Training scenarios: named sandbox set-ups that make one step of the runbook go wrong on purpose.

Each scenario is a fresh practice account with settings (Trial, suspended, a Sender ID the
"carrier" filters ...), optional parameters for the notebooks (the Sender ID or phone number the
trainee is told to use), and optionally a setup hook that runs once the account exists (an API key
whose secret is mistyped in the env file, injected network faults ...). The runbook itself is not
changed: the trainee meets the sandbox behaving as Twilio would and follows the runbook's advice.

Start one headless with ``python -m onboarding_helpers run --sandbox --scenario NAME``, in
notebook 00 with its scenario form (or ``scenario`` parameter), and list them with
``python -m onboarding_helpers scenarios``. ``training.practice.start_scenario`` does the
provisioning; ``docs/TRAINERS.md`` is the trainer's guide.

Importing this module is cheap: hooks import the sandbox's admin client when they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..credentials import API_KEY_SECRET, API_KEY_SID, MESSAGING_SERVICE_SID
from ..errors import InputError
from ..journal import KeyCreated, ScenarioFaultsInjected, ScenarioKeyMistyped
from ..steps.registry import (
    ACCOUNT,
    API_KEY,
    HEALTH_CHECK,
    MESSAGING_SERVICE,
    START,
    TEST_MESSAGE,
)
from ..twilio_gateway import call

if TYPE_CHECKING:
    from ..runbook import Runbook

# Values the scenarios tell the trainee to use. MYAGENCY stands for the agency's own registered
# Sender ID; +6581234567 for the trainee's Singapore mobile (the sandbox delivers to it).
SENDER_ID = "MYAGENCY"
SG_MOBILE = "+6581234567"
UK_MOBILE = "+447400123456"  # the UK takes alphanumeric Sender IDs: no number needed
US_MOBILE = "+14155550123"  # the US takes none, and only registered US numbers reach it
PROTECTED_SENDER_ID = "GOVSG"  # in the sandbox's default protected list
# Messages move through their statuses quickly in a scenario: trainees still see each status.
MESSAGE_STEP_SECONDS = 0.1
_COMMON = {"sender_id": SENDER_ID, "test_phone": SG_MOBILE}


@dataclass(frozen=True)
class ScenarioContext:
    """What a setup hook gets: the runbook (env file, progress), the sandbox, the new account.

    ``parameters`` are the notebook parameters of this run: the scenario's own, with the
    trainer's ``-p`` values over them.
    """

    rb: Runbook
    url: str
    account_sid: str
    auth_token: str
    scenario: Scenario
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    story: str  # what the trainee is told, shown in notebook 00 (no spoiler of the fix)
    teaches: str  # for trainers: the lesson
    bites_at: str  # the id of the step where it shows (``registry.ACCOUNT.id`` ...)
    advice: str  # a fragment of the advice the runbook shows there (asserted by the tests)
    fix: str  # what the trainee does once they read the advice
    outcome: str = "stops"  # "stops": that step fails; "completes": it warns and the run goes on
    account: Mapping[str, Any] = field(default_factory=dict)  # sandbox account settings
    parameters: Mapping[str, Any] = field(default_factory=dict)  # suggested notebook parameters
    setup: Callable[[ScenarioContext], None] | None = None

    def briefing_rows(self) -> list[tuple[str, str]]:
        """The values the story asks the trainee to use, as (parameter, value) rows."""
        return [(name, str(value)) for name, value in self.parameters.items()]


# ---------------------------------------------------------------- setup hooks


def _create_key(ctx: ScenarioContext, friendly_name: str) -> tuple[str, str]:
    """A Standard key made as the console would; returns (SID, secret), secret kept in memory."""
    client = ctx.rb.client_with_token(ctx.account_sid, ctx.auth_token, START.id)
    key = call("create a key for the scenario", client.new_keys.create, friendly_name=friendly_name)
    return key.sid, key.secret


def _mistyped(secret: str) -> str:
    """The secret with its last character changed: still 32 letters and digits, never valid."""
    return secret[:-1] + ("0" if secret[-1] != "0" else "1")


def _wrong_secret(ctx: ScenarioContext) -> None:
    # The trainee "made the key in the console" and pasted its secret with one character wrong.
    sid, secret = _create_key(ctx, "Postman SMS - made in the console")
    ctx.rb.store.save({API_KEY_SID: sid, API_KEY_SECRET: _mistyped(secret)})
    ctx.rb.progress.log(
        START,
        ScenarioKeyMistyped(key_sid=sid, account_sid=ctx.account_sid, scenario=ctx.scenario.name),
    )


def _lost_secret(ctx: ScenarioContext) -> None:
    # An earlier session of step 02 made a key and journalled it; since then the env file lost
    # the secret line (restored from an old copy). Its secret now exists nowhere.
    name = f"Postman SMS - Sandbox agency - {(date.today() - timedelta(days=7)).isoformat()}"
    sid, _secret = _create_key(ctx, name)
    ctx.rb.progress.log(
        API_KEY,
        KeyCreated(
            key_sid=sid,
            friendly_name=name,
            account_sid=ctx.account_sid,
            secret_saved=True,
            scenario=ctx.scenario.name,
        ),
    )
    ctx.rb.store.save({API_KEY_SID: sid})


def _flaky_network(ctx: ScenarioContext) -> None:
    # Deterministic faults rather than the random chaos profile, so every trainee (and the test)
    # meets the same run. status=0 closes the connection without an answer.
    from ..sandbox import set_faults  # the admin client is heavy (~0.2 s): only when it runs

    # Faults hit every account on the sandbox's file: the paths name this account where they
    # can, so trainees sharing a sandbox are not caught.
    ac = f"/Accounts/{ctx.account_sid}"
    faults = [
        # Refused before Twilio acted: the gateway sends them again after a pause.
        (rf"GET {ac}\.json$", 503, "before", "Service Unavailable"),
        (r"GET ^/v1/Keys$", 0, "before", ""),  # iam v1 paths name no account
        (rf"POST {ac}/Keys\.json$", 429, "before", "Too Many Requests"),
        (rf"GET {ac}/IncomingPhoneNumbers\.json$", 503, "before", "Service Unavailable"),
        (rf"POST {ac}/Messages\.json$", 503, "before", "Service Unavailable"),
        (rf"GET {ac}/Messages/SM[0-9a-f]{{32}}\.json$", 502, "before", "Bad Gateway"),
        # The service is made, then the connection drops before the answer: never sent twice,
        # the runbook looks it up by name. (Messaging paths do not name the account.)
        (r"POST ^/v1/Services$", 0, "after", ""),
    ]
    for match, status, phase, message in faults:
        set_faults(ctx.url, match, status=status, phase=phase, message=message or None)
    ctx.rb.progress.log(
        START,
        ScenarioFaultsInjected(
            faults=len(faults), account_sid=ctx.account_sid, scenario=ctx.scenario.name
        ),
    )


def _sender_id_filtered(ctx: ScenarioContext) -> None:
    from ..sandbox import set_account  # heavy admin client: only when it runs

    sender_id = str(ctx.parameters.get("sender_id") or SENDER_ID)
    set_account(ctx.url, ctx.account_sid, filtered_sender_ids=[sender_id])


def _protect_sender_id(ctx: ScenarioContext) -> None:
    # Another organisation registered the ID with SGNIC: Twilio lets the trainee add it (it cannot
    # see SGNIC's registry); Singapore's operators block the messages.
    from ..sandbox import DEFAULT_PROTECTED_SENDER_IDS, set_account  # heavy: only when it runs

    sender_id = str(ctx.parameters.get("sender_id") or PROTECTED_SENDER_ID)
    protected = list(dict.fromkeys([*DEFAULT_PROTECTED_SENDER_IDS, sender_id.upper()]))
    set_account(ctx.url, ctx.account_sid, protected_sender_ids=protected)


# A week of a campaign through an agency's service, message by message as Twilio logged it: the
# first run of the campaign went out as a protected Sender ID (30007), the rest as the agency's
# own; recipients off or out of coverage (30003), numbers no longer in use (30005), carrier
# errors (30008), recipients who replied STOP (21610), a few with no delivery receipt ("sent").
CAMPAIGN_MIX = {
    "delivered": 1150,
    "sent": 20,
    "30003": 60,
    "30005": 35,
    "30007": 140,
    "30008": 15,
    "21610": 30,
}
CAMPAIGN_DAYS = 6  # inside the health check's default window of 7 days


def _failing_campaign(ctx: ScenarioContext) -> None:
    # A set-up made by hand and in use for months: the four values Postman holds are in the env
    # file (no progress record says how they were made), and a week of campaigns in the log.
    import json

    from ..sandbox import set_account  # heavy admin client: only when it runs

    sender_id = str(ctx.parameters.get("sender_id") or SENDER_ID)
    client = ctx.rb.client_with_token(ctx.account_sid, ctx.auth_token, START.id)
    services = client.messaging.v1.services
    service = call("create the agency's service", services.create, friendly_name="Campaigns")
    call("add its Sender ID", services(service.sid).alpha_senders.create, alpha_sender=sender_id)
    key_sid, secret = _create_key(ctx, "Postman (made in the console)")
    ctx.rb.store.save(
        {API_KEY_SID: key_sid, API_KEY_SECRET: secret, MESSAGING_SERVICE_SID: service.sid}
    )
    history = {
        "service_sid": service.sid,
        "days": CAMPAIGN_DAYS,
        "mix": CAMPAIGN_MIX,
        "countries": {"SG": 96, "MY": 4},
        "senders": {"30007": PROTECTED_SENDER_ID},
    }
    set_account(ctx.url, ctx.account_sid, message_history=json.dumps(history))


# ---------------------------------------------------------------- the registry

_SCENARIO_LIST: tuple[Scenario, ...] = (
    Scenario(
        name="trial-account",
        title="The account is still a Trial account",
        story="Your agency's Twilio account was set up last week. Nobody has upgraded billing"
        " yet. Run the runbook from step 01 as usual.",
        teaches="Why billing must be upgraded before anything else: Trial accounts cannot use an"
        " alphanumeric Sender ID and their SMS show as Likely-SCAM. Step 01 stops before anything"
        " is created.",
        bites_at=ACCOUNT.id,
        advice="Upgrade billing first (Billing > Manage Billing > Upgrade",
        fix="Upgrade billing (sandbox: the Upgrade button on the console page), then run 01 again.",
        account={"type": "Trial"},
        parameters=_COMMON,
    ),
    Scenario(
        name="suspended-account",
        title="The account is suspended",
        story="Your agency's Twilio account was used for a pilot last year and then left alone."
        " Run the runbook from step 01.",
        teaches="An account that is not active cannot send, and only its owner or Twilio support"
        " can reactivate it: the runbook says so at step 01 instead of failing later.",
        bites_at=ACCOUNT.id,
        advice="reactivate it",
        fix="Ask the account owner or Twilio support to reactivate it (sandbox: the trainer"
        " presses Reactivate on the console page), then run 01 again.",
        account={"status": "suspended"},
        parameters=_COMMON,
    ),
    Scenario(
        name="wrong-secret",
        title="An API key whose secret was pasted wrongly",
        story="A colleague made a Standard API key in the console (API keys & tokens)"
        " and pasted its SID and secret into the env file for you. Use it: in step 02 choose 'I"
        " made it in the console' and leave both fields empty to use what the env file holds.",
        teaches="The runbook checks a console key with Twilio before it trusts it (error 20003),"
        " and what to do when the secret is wrong: paste it again, or, when it is lost, replace the"
        " key with step 07 (new key first, the old one revoked only once Postman uses the new).",
        bites_at=API_KEY.id,
        advice="Copy both again from where you saved them",
        fix="Paste the right secret if you have it. If not, run 02 with api_key_source create:"
        " it says the secret is not this key's and points to 07_rotate_key, which makes a new key"
        " in its place (it cannot check the old pair first, and says so) and revokes the old one"
        " only when run again with postman_updated True.",
        parameters={**_COMMON, "api_key_source": "console"},
        setup=_wrong_secret,
    ),
    Scenario(
        name="lost-secret",
        title="The API key's secret was lost",
        story="Step 02 made an API key in an earlier session, but the env file was restored from"
        " an old copy since then: it names the key, and the secret is gone. Carry on with the"
        " runbook.",
        teaches="A lost secret cannot be recovered, not even by Twilio: the runbook makes a new"
        " key and lists the old one as an orphan to revoke (step 03 alone would point to step"
        " 07, which replaces the key).",
        bites_at=API_KEY.id,
        advice="Orphan keys",
        fix="Revoke the orphan key: run 02 with revoke_orphan_keys True (form: 'Revoke orphan"
        " keys'). Nothing can use it.",
        outcome="completes",
        parameters=_COMMON,
        setup=_lost_secret,
    ),
    Scenario(
        name="protected-sender-id",
        title="A Sender ID that belongs to another agency",
        story=f"You are told your agency sends as '{PROTECTED_SENDER_ID}'. Use that Sender ID in"
        f" step 04 and send the test SMS to {SG_MOBILE} in step 05.",
        teaches="Twilio cannot see SGNIC's registry, so it lets you add an ID another"
        " organisation registered: step 04 succeeds. The guide's signs show later: the test SMS"
        " to a Singapore phone is blocked (error 30007), so step 05 is where a protected ID"
        " shows. Only the ID your agency registered with SGNIC can be used.",
        bites_at=TEST_MESSAGE.id,
        advice="owned by another agency",
        fix="Check the SGNIC (SSIR) approval: the ID is not the agency's. A service holds one"
        " Sender ID, so run 04 with the agency's own ID in a new service (headless:"
        f" -p sender_id {SENDER_ID} -r messaging_service_name 'Postman SMS 2'), then 05.",
        outcome="stops",
        parameters={**_COMMON, "sender_id": PROTECTED_SENDER_ID},
        setup=_protect_sender_id,
    ),
    Scenario(
        name="alpha-sender-disabled",
        title="Alphanumeric Sender IDs not enabled for the account",
        story="Your agency's account was upgraded last month, but an administrator switched"
        f" some messaging settings off. Set up the Messaging Service with '{SENDER_ID}' in step"
        " 04.",
        teaches="Twilio's error 21709 has two causes: alphanumeric Sender IDs not enabled for"
        " the account (never on a Trial account; on by default once upgraded) or an ID format"
        " Twilio does not take. The runbook tells them apart and names the console setting."
        " The empty service is kept and reused once the setting is on.",
        bites_at=MESSAGING_SERVICE.id,
        advice="Enable alphanumeric Sender IDs",
        fix="Turn on Messaging > Settings > General > Alphanumeric Sender ID (sandbox: the"
        " trainer presses 'Enable alphanumeric Sender IDs' on the console page), then run 04"
        " again: it reuses the empty service and adds the Sender ID.",
        account={"alpha_sender_enabled": False},
        parameters=_COMMON,
    ),
    Scenario(
        name="sender-id-not-mapped",
        title="A Sender ID not yet mapped to the account",
        story=f"Your agency registered '{SENDER_ID}' with SGNIC last week. Set up the Messaging"
        f" Service with it and send the test SMS to {SG_MOBILE}.",
        teaches="The guide's 'error when sending the test: Sender ID probably not yet mapped in"
        " Twilio'. The sandbox models it as the carrier filtering the message (error 30007): the"
        " service is created, and only the test SMS shows the problem.",
        bites_at=TEST_MESSAGE.id,
        advice="not yet mapped to your account by Twilio",
        fix="Ask Twilio to map the Sender ID to the account (Twilio's Sender ID form with the SSIR"
        " approval screenshot; sandbox: the trainer presses 'Map Sender IDs' on the console page),"
        " then run 05 again.",
        parameters=_COMMON,
        setup=_sender_id_filtered,
    ),
    Scenario(
        name="foreign-recipient",
        title="A test number in the United States",
        story="Your agency also texts officers posted in Washington. Send the test SMS to the US"
        f" mobile {US_MOBILE}.",
        teaches="Countries differ: most take the Sender ID as it is (a UK number needs no bought"
        " number), some only once it is registered there, and the US takes none. A US number"
        " alone does not reach US phones either: since September 2023 it must be registered"
        " for A2P 10DLC (a brand and a campaign) or be a verified toll-free number. Step 04a"
        " says what each destination needs before anything is bought.",
        bites_at=TEST_MESSAGE.id,
        advice="A2P 10DLC",
        fix="Test with the Singapore mobile; for US recipients, buy a US number in 04a and"
        " register it for A2P 10DLC (sandbox: the trainer sets the account's US numbers"
        " registered), then run 05 confirming the registration (us_sender_registered True).",
        parameters={**_COMMON, "test_phone": US_MOBILE},
    ),
    Scenario(
        name="flaky-network",
        title="A flaky network",
        story="The office network is having a bad day: some requests fail, one connection drops"
        " just after Twilio did the work. Run the whole runbook, then run it again.",
        teaches="Short outages are retried on their own. A create whose answer was lost is never"
        " simply sent again: the runbook looks up what Twilio made (here the Messaging Service,"
        " by its name) and uses it. Running again is always safe: nothing is made twice.",
        bites_at=MESSAGING_SERVICE.id,
        advice="was found by name and is used (not created twice)",
        fix="Nothing to repair. Run the runbook again (without --scenario): every step reuses"
        " what exists, and the sandbox console still shows one key and one service.",
        outcome="completes",
        parameters=_COMMON,
        setup=_flaky_network,
    ),
    Scenario(
        name="failing-campaign",
        title="Why did the campaign fail?",
        story="Your agency set up its Twilio account by hand last year and Postman has sent its"
        " campaigns through it since. This week officers say many SMS never arrived. The env"
        " file holds the four values Postman holds. Run the health check (step 08) and find out"
        " why, error code by error code.",
        teaches="Reading a campaign's outcome from what Postman holds, read-only and without the"
        " Auth Token: the Sender ID a filtered message went out as (30007: a protected ID, the"
        " set-up's fault, fix first), recipients who replied STOP (21610: take them off the"
        " list), phones off (30003), numbers out of use (30005), carrier errors (30008) and"
        " messages without a receipt ('sent', which Postman counts as success).",
        bites_at=HEALTH_CHECK.id,
        advice="went out as 'GOVSG'",
        fix="Nothing to repair in Twilio today: the service's pool already holds the agency's own"
        f" ID ('{SENDER_ID}'). Send the 30007 recipients the campaign again from Postman, take"
        " the 21610 recipients off the list, correct or remove the 30005 numbers, and retry"
        " 30003 and 30008 later.",
        outcome="completes",
        parameters={"sender_id": SENDER_ID, "days": 7},
        setup=_failing_campaign,
    ),
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in _SCENARIO_LIST}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; an InputError listing them all when there is none."""
    key = (name or "").strip().lower()
    if key not in SCENARIOS:
        raise InputError(
            "scenario",
            f"{name!r} is not a training scenario.",
            "Choose one of: " + ", ".join(SCENARIOS) + " (python -m onboarding_helpers scenarios).",
        )
    return SCENARIOS[key]


def scenario_table() -> str:
    """The scenarios as plain text, for ``python -m onboarding_helpers scenarios``."""
    width = max(len(s.name) for s in SCENARIOS.values())
    lines = [f"{'scenario':<{width}}  {'bites at':<20}  what happens"]
    for s in SCENARIOS.values():
        lines.append(f"{s.name:<{width}}  {s.bites_at:<20}  {s.title}")
    lines.append("")
    lines.append("Run one: python -m onboarding_helpers run --sandbox --scenario NAME")
    return "\n".join(lines)
