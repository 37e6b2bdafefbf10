"""API keys through Key resource v1 (iam ``/v1/Keys``, the account named in ``AccountSid``), as
Twilio documents it for Standard and Restricted keys alike: the runbook lists, looks up and
revokes both types there, and step 07 replaces a console-made Restricted key with a Restricted
one (its type read from Twilio), revoking the old one through v1."""

from __future__ import annotations

from typing import Any

from onboarding_helpers.credentials import API_KEY_SECRET, API_KEY_SID
from onboarding_helpers.sandbox import request_log, snapshot
from onboarding_helpers.steps.api_key import list_keys, postman_policy
from onboarding_helpers.steps.api_key.keys import key_type_in_twilio
from onboarding_helpers.steps.rotate_key import STEP as ROTATE
from onboarding_helpers.steps.rotate_key import rotate_key

from .fixtures_flow import Flow, flow_fixture  # noqa: F401

# Everything step 07 needs of a key it checks and proves (the runbook's own policy has more).
CONSOLE_POLICY = {
    "allow": [
        "/twilio/messaging/messages/create",
        "/twilio/messaging/messages/read",
        "/twilio/messaging/services/read",
    ]
}


def _rotation_requests(flow: Flow, mark: int) -> list[tuple[str, str, str]]:
    rows = request_log(flow.url, flow.account_sid)[mark:]
    mine = [r for r in rows if f"step/{ROTATE.id}" in (r["user_agent"] or "")]
    return [(r["method"], r["path"], r["auth_kind"]) for r in mine]


def _console_restricted_key(flow: Flow) -> Any:
    """A Restricted key made in the console (not by the runbook), saved as Postman's pair."""
    key = flow.client().iam.v1.new_api_key.create(
        account_sid=flow.account_sid,
        friendly_name="made in the console",
        key_type="restricted",
        policy=CONSOLE_POLICY,
    )
    flow.rb.store.save({API_KEY_SID: key.sid, API_KEY_SECRET: key.secret})
    return key


def test_keys_of_both_types_are_listed_and_told_apart_through_v1(flow):
    f = flow()
    restricted = _console_restricted_key(f)
    mark = len(request_log(f.url, f.account_sid))
    listed = {k.sid for k in list_keys(f.client())}
    assert listed == {f.api_key_sid, restricted.sid}
    assert key_type_in_twilio(f.client(), restricted.sid) == "restricted"
    assert key_type_in_twilio(f.client(), f.api_key_sid) == "standard"
    assert key_type_in_twilio(f.client(), "SK" + "0" * 32) is None
    paths = [(r["method"], r["path"]) for r in request_log(f.url, f.account_sid)[mark:]]
    assert paths[0] == ("GET", "/v1/Keys")
    assert all(p.startswith("/v1/Keys") for _, p in paths)


def test_a_console_made_restricted_key_is_replaced_by_a_restricted_one_and_revoked_via_v1(flow):
    f = flow()
    old = _console_restricted_key(f)
    mark = len(request_log(f.url, f.account_sid))

    first = rotate_key(f.rb, "", wait_seconds=5)

    assert first.key_type == "restricted"  # read from Twilio: the journal did not know it
    assert ("GET", f"/v1/Keys/{old.sid}", "auth_token") in _rotation_requests(f, mark)
    new_sid = f.rb.store.values()[API_KEY_SID]
    assert f.client().iam.v1.api_key(new_sid).fetch().policy == postman_policy()
    mark = len(request_log(f.url, f.account_sid))

    done = rotate_key(f.rb, "", True, wait_seconds=5)

    assert done.old_key_revoked
    sent = _rotation_requests(f, mark)
    assert ("DELETE", f"/v1/Keys/{old.sid}", "auth_token") in sent
    assert not any("/Accounts/" in path and "/Keys" in path for _, path, _ in sent)
    assert [k["sid"] for k in snapshot(f.url, f.account_sid)["keys"]] == [f.api_key_sid, new_sid]
