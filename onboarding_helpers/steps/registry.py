"""Every step of the runbook, declared once, in the order an officer takes them.

A step's id is its notebook's name (``notebooks/<id>.ipynb`` and its jupytext pair
``notebooks/<id>.py``) and is spelled only here. Its package ``onboarding_helpers.steps.<package>``
holds the step function, its form and its result panel side by side; its notebook's
``parameters`` cell declares its parameters (read as ``papermill.inspect_notebook`` reads them,
by ``runner.parameters``). The
progress board, the runner's plan, the run report, the README's parameter table and the
benchmark's per-step minimum all come from this list.

Adding a step is one package, one line below and one notebook pair.

Importing this module is cheap: it imports nothing but the typed records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..journal import (
    AccountRecord,
    ApiKeyRecord,
    HandoffRecord,
    HealthRecord,
    PhoneNumberRecord,
    RotationRecord,
    SecretRecord,
    ServiceRecord,
    StartRecord,
    StepRecord,
    TestMessageRecord,
)


@dataclass(frozen=True)
class Step:
    """One step: its id (the notebook's name), what it is called, and how the runner treats it.

    ``package``: ``onboarding_helpers.steps.<package>``, which exports the step function named
    ``function``, its ``form(rb, ...)`` and its result ``panel(result)``. ``optional``: left out
    of a full run unless named with ``--only`` or brought in by the parameter ``included_by``
    set to True. ``after_run``: the package's ``summary`` module has ``summary(env_file,
    state_dir)``, which the runner calls after a run in which the step succeeded; it returns
    lines to print.
    ``requests``: the fewest Twilio requests the step needs on a fresh run and a re-run, and
    why (benchmarks).
    """

    id: str
    title: str
    package: str
    function: str
    record: type[StepRecord]
    optional: bool = False
    included_by: str = ""
    after_run: bool = False
    requests: tuple[int, int, str] = (0, 0, "")

    @property
    def number(self) -> str:
        """What ``--only`` accepts besides the id: "02", "04a"."""
        return self.id.split("_", 1)[0]

    @property
    def module(self) -> str:
        return f"onboarding_helpers.steps.{self.package}"

    def notebook(self, notebooks_dir: Path) -> Path:
        return Path(notebooks_dir) / f"{self.id}.ipynb"


START = Step(
    id="00_start_here",
    title="Start here: prerequisites and mode",
    package="start",
    function="start",
    record=StartRecord,
    requests=(0, 0, "prerequisites and mode; the sandbox account comes from the admin API"),
)
ACCOUNT = Step(
    id="01_account_sid",
    title="Account SID",
    package="account",
    function="check_account",
    record=AccountRecord,
    # The balance is read on every run too: it moves with every message sent.
    requests=(2, 2, "fetch the account (proves SID + token, type, status) + read its balance"),
)
API_KEY = Step(
    id="02_api_key",
    title="API key SID",
    package="api_key",
    function="set_up_api_key",
    record=ApiKeyRecord,
    requests=(2, 1, "list keys (find an earlier one) + create; re-run: check the saved pair"),
)
SECRET_KEY = Step(
    id="03_secret_key",
    title="Secret key",
    package="secret_key",
    function="check_secret",
    record=SecretRecord,
    requests=(1, 1, "one request signed with key SID + secret proves the pair"),
)
# 04a comes before 04 on purpose: the guide puts the number in the pool before the alpha sender.
PHONE_NUMBER = Step(
    id="04a_buy_phone_number",
    title="Phone number for foreign recipients",
    package="phone_number",
    function="buy_phone_number",
    record=PhoneNumberRecord,
    optional=True,
    included_by="buy_phone_number",
    requests=(4, 1, "search + buy + create service + attach; re-run: fetch the number"),
)
MESSAGING_SERVICE = Step(
    id="04_messaging_service",
    title="Messaging Service SID",
    package="messaging_service",
    function="set_up_messaging_service",
    record=ServiceRecord,
    requests=(3, 2, "list services + create + add alpha sender; re-run: fetch, list senders"),
)
TEST_MESSAGE = Step(
    id="05_send_test_message",
    title="Test message",
    package="test_message",
    function="send_test_message",
    record=TestMessageRecord,
    requests=(2, 0, "send + one status fetch; re-run: the recorded delivery stands"),
)
HANDOFF = Step(
    id="06_postman_handoff",
    title="Hand-off to Postman",
    package="handoff",
    function="hand_off",
    record=HandoffRecord,
    after_run=True,
    requests=(2, 0, "Postman's send (API key, From=MG) + one status fetch; re-run: stands"),
)

# After the hand-off, taken on purpose only (``--only 07``): a new key, checked, put into Postman,
# and only then the old key revoked (``postman_updated``).
ROTATE_KEY = Step(
    id="07_rotate_key",
    title="Rotate the API key",
    package="rotate_key",
    function="rotate_key",
    record=RotationRecord,
    optional=True,
    after_run=True,
    requests=(
        7,
        2,
        "check old pair + list keys + create + check new pair + Postman's send + one status"
        " fetch + list keys again for the report; re-run: check the new pair + list keys",
    ),
)

# After the hand-off, any time, on purpose only (``--only 08``): reads what Postman holds and says
# why messages fail. Read-only, with the API key alone: no Auth Token.
HEALTH_CHECK = Step(
    id="08_health_check",
    title="Health check",
    package="health_check",
    function="health_check",
    record=HealthRecord,
    optional=True,
    after_run=True,
    requests=(
        5,
        5,
        "fetch the service + list its Sender ID + list its numbers + read the balance + one"
        " page of the message log per 1,000 messages (+1 to tell a console key's type)",
    ),
)

STEPS: tuple[Step, ...] = (
    START,
    ACCOUNT,
    API_KEY,
    SECRET_KEY,
    PHONE_NUMBER,
    MESSAGING_SERVICE,
    TEST_MESSAGE,
    HANDOFF,
    ROTATE_KEY,
    HEALTH_CHECK,
)
BY_ID = {step.id: step for step in STEPS}


def find(name: str) -> Step | None:
    """The step called ``name`` (its id or its number, e.g. "04a"), or None."""
    for step in STEPS:
        if name in (step.id, step.number):
            return step
    return None
