"""Steps 01-04 done directly against a sandbox, so tests of steps 05-06 need no other step's code.

``prepare_flow`` provisions an account, creates a Standard API key, a Messaging Service with an
alpha sender (and, on request, a bought number in its pool), saves the four values to the env file
and records steps 01, 04 (and 04a) in the progress record the way those steps do.

In a test module: ``from .fixtures_flow import flow_fixture  # noqa: F401`` and take ``flow``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    CredentialStore,
)
from onboarding_helpers.journal import AccountRecord, PhoneNumberRecord, ServiceRecord
from onboarding_helpers.messages import following
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import provision_account, set_account
from onboarding_helpers.steps.registry import ACCOUNT, MESSAGING_SERVICE, PHONE_NUMBER
from onboarding_helpers.twilio_gateway import make_client

SG_MOBILE = "+6581234567"
SENDER_ID = "GOVTECH"


@dataclass
class Flow:
    """What steps 01-04 would have left behind, and a Runbook pointed at the sandbox."""

    url: str
    account_sid: str
    auth_token: str
    api_key_sid: str
    api_secret: str
    service_sid: str
    sender_id: str
    phone_number: str | None
    rb: Runbook

    @property
    def secrets(self) -> list[str]:
        return [self.auth_token, self.api_secret]

    def client(self) -> Any:
        return make_client(self.account_sid, auth_token=self.auth_token, base_url=self.url)


def prepare_flow(
    url: str,
    env_file: Path,
    state_dir: Path,
    *,
    sender_id: str = SENDER_ID,
    service_name: str = "Postman SMS",
    account_type: str = "Full",
    step_seconds: float = 0.02,
    buy_number: bool = False,
    record_steps: bool = True,
) -> Flow:
    """Steps 01-04 (04a with ``buy_number``) done through the SDK on the sandbox at ``url``.

    ``account_type="Trial"`` downgrades the account after the alpha sender was added (a Trial
    account could not add one), to reproduce a send refused with 21608.
    """
    account = provision_account(url, friendly_name="Ministry of Testing")
    ac, token = account["account_sid"], account["auth_token"]
    set_account(url, ac, message_step_seconds=step_seconds)
    store = CredentialStore(env_file, mode="sandbox")
    store.save({ACCOUNT_SID: ac, AUTH_TOKEN: token})
    client = make_client(ac, auth_token=token, base_url=url)
    key = client.new_keys.create(friendly_name="Postman")
    store.save({API_KEY_SID: key.sid, API_KEY_SECRET: key.secret})
    services = client.messaging.v1.services
    service = services.create(friendly_name=service_name, usecase="notifications")
    progress = ProgressRecord(state_dir)
    number = None
    if buy_number:
        offer = client.available_phone_numbers("US").local.list(sms_enabled=True, limit=1)[0]
        bought = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
        client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=bought.sid)
        number = bought.phone_number
        if record_steps:
            bought_record = PhoneNumberRecord(
                status="done",
                phone_number=number,
                phone_number_sid=bought.sid,
                service_sid=service.sid,
            )
            progress.save(PHONE_NUMBER, bought_record)
    alpha = client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender=sender_id)
    store.save({MESSAGING_SERVICE_SID: service.sid})
    if record_steps:
        account_record = AccountRecord(
            status="done",
            account_sid=ac,
            friendly_name="Ministry of Testing",
            type="Full",
            account_status="active",
        )
        progress.save(ACCOUNT, account_record)
        service_record = ServiceRecord(
            status="done",
            service_sid=service.sid,
            service_name=service_name,
            usecase="notifications",
            sender_id=sender_id,
            alpha_sender_sid=alpha.sid,
            phone_numbers=[number] if number else [],
        )
        progress.save(MESSAGING_SERVICE, service_record)
    if account_type != "Full":
        set_account(url, ac, type=account_type)
    settings = Settings(
        mode="sandbox",
        env_file=Path(env_file),
        state_dir=Path(state_dir),
        sandbox_dir=Path(state_dir).parent / "unused-sandbox-dir",
        base_url=url,
    )
    return Flow(
        url=url,
        account_sid=ac,
        auth_token=token,
        api_key_sid=key.sid,
        api_secret=key.secret,
        service_sid=service.sid,
        sender_id=sender_id,
        phone_number=number,
        rb=Runbook(settings),
    )


# The first look at a sent message, in these in-process tests: the sandbox moves a message on
# in a fraction of a second, so the officer's first look after a full second (FIRST_DELAY) would
# only make each test wait. The schedule itself is tested with a fake clock (test_test_message).
FIRST_LOOK = 0.1


@pytest.fixture(name="flow")
def flow_fixture(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Flow]:
    """``flow(**options)``: a prepared flow on the test's sandbox (see ``prepare_flow``)."""
    monkeypatch.setattr(following, "FIRST_DELAY", FIRST_LOOK)

    def make(**options: Any) -> Flow:
        return prepare_flow(sandbox.url, tmp_path / "creds" / ".env", tmp_path / "state", **options)

    return make
