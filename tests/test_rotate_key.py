"""Step 07: rotating the API key against the sandbox. Phase one makes one new key of the same type,
saves its secret at once (the old pair kept in a dated backup), checks it and proves it the way
Postman sends; phase two, once Postman uses it, checks it again and revokes the old key. Re-runs
and interrupted runs never make a second new key; bad input changes nothing; nothing leaks."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from onboarding_helpers.credentials import (
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import (
    ApiKeyRecord,
    CredentialCopiesTidied,
    CredentialsBackedUp,
    Event,
    KeyCreateAnswerLost,
    KeyCreated,
    KeyCreating,
    KeyReplaced,
    KeyRevoked,
    KeyVerified,
    MessageSending,
    MessageSent,
    MessageStatus,
    PostmanUpdateConfirmed,
    StartRecord,
)
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.sandbox import request_log, set_faults, snapshot
from onboarding_helpers.steps.api_key import panel as api_key_panel
from onboarding_helpers.steps.api_key import postman_policy, rescue, set_up_api_key
from onboarding_helpers.steps.registry import API_KEY, START
from onboarding_helpers.steps.rotate_key import (
    FINISHED,
    ROTATION_BODY,
    WAITING,
    form,
    new_label,
    panel,
    rotate_key,
    where_values_go,
)
from onboarding_helpers.steps.rotate_key import STEP as ROTATE
from onboarding_helpers.steps.rotate_key.job import Job
from onboarding_helpers.twilio_gateway import call, make_client

from .fixtures_flow import (
    SG_MOBILE,
    Flow,
    flow_fixture,  # noqa: F401
)
from .presses import press
from .secret_audit import leaks, run_leaks

# ---------------------------------------------------------------- helpers


def keys(flow: Flow) -> list[str]:
    return [k["sid"] for k in snapshot(flow.url, flow.account_sid)["keys"]]


def pair(flow: Flow) -> tuple[str, str]:
    values = flow.rb.store.values()
    return values[API_KEY_SID], values[API_KEY_SECRET]


def code_for(flow: Flow, key_sid: str, secret: str) -> int | None:
    """What Twilio answers this pair signing in as Postman does (None: it works)."""
    client = make_client(
        flow.account_sid, api_key_sid=key_sid, api_secret=secret, base_url=flow.url
    )
    try:
        call("sign in", client.messaging.v1.services(flow.service_sid).fetch)
    except TwilioActionError as err:
        return err.code
    return None


def mine(flow: Flow, mark: int = 0) -> list[dict[str, Any]]:
    """The requests step 07 made since ``mark`` (the request log's rows, oldest first)."""
    rows = request_log(flow.url, flow.account_sid)[mark:]
    return [r for r in rows if f"step/{ROTATE.id}" in (r["user_agent"] or "")]


def kinds(flow: Flow) -> list[type[Event]]:
    return [type(e) for e in flow.rb.progress.events(step=ROTATE)]


def rotate(flow: Flow, phone: object = SG_MOBILE, **kwargs: Any) -> Any:
    return rotate_key(flow.rb, phone, wait_seconds=5, **kwargs)


def audit(flow: Flow, *texts: str, also: list[str] = ()) -> list[str]:
    """Every file step 07 wrote but the env file and its backups, and what it showed."""
    also = [flow.auth_token, flow.api_secret, *also]
    return run_leaks(flow.rb.store.path, [flow.rb.settings.state_dir], texts, also)


# ---------------------------------------------------------------- phase one


def test_phase_one_makes_one_new_key_and_the_old_one_keeps_working(flow):
    f = flow()
    old_sid, old_secret = pair(f)
    f.rb.progress.save(API_KEY, ApiKeyRecord(status="done", key_sid=old_sid, key_type="standard"))

    result = rotate(f)

    new_sid, new_secret = pair(f)
    assert new_sid != old_sid and result.new_key_sid == new_sid and result.created
    assert sorted(keys(f)) == sorted([old_sid, new_sid])
    assert code_for(f, old_sid, old_secret) is None  # Postman's current pair still works
    assert code_for(f, new_sid, new_secret) is None
    # The old pair is kept in the store's dated backup, named in the record and the journal.
    record = f.rb.progress.read(ROTATE)
    assert record.phase == WAITING and record.status == "done"
    assert (record.old_key_sid, record.new_key_sid) == (old_sid, new_sid)
    backup = dotenv_values(record.backup)
    assert (backup[API_KEY_SID], backup[API_KEY_SECRET]) == (old_sid, old_secret)
    assert Path(record.backup) in f.rb.store.backups()
    assert kinds(f) == [
        KeyCreating,
        KeyCreated,
        CredentialsBackedUp,
        KeyReplaced,
        KeyVerified,
        MessageSending,
        MessageSent,
        MessageStatus,
    ]
    created = f.rb.progress.events(KeyCreated, step=ROTATE)[0]
    assert created.replaces == old_sid and created.key_type == "standard"
    # Postman's own call, with the new key: From = the Messaging Service SID.
    [send] = [r for r in mine(f) if r["method"] == "POST" and r["path"].endswith("Messages.json")]
    assert send["auth_username"] == new_sid and send["form"]["From"] == f.service_sid
    assert result.check.check == "passed" and result.check.delivery == "delivered"
    assert [m["body"] for m in snapshot(f.url, f.account_sid)["messages"]] == [ROTATION_BODY]
    text = str(panel(result))
    assert new_sid in text and old_sid in text and "still works" in text
    assert "Settings > Credentials" in text and "postman_updated True" in text
    assert new_secret not in text and "••••" + new_secret[-4:] in text
    assert audit(f, text, repr(result), also=[new_secret, old_secret]) == []


def test_rerunning_phase_one_makes_nothing_and_sends_nothing(flow):
    f = flow()
    first = rotate(f)
    mark = len(request_log(f.url, f.account_sid))

    again = rotate(f)

    sent = mine(f, mark)
    assert [(r["method"], r["auth_kind"]) for r in sent] == [
        ("GET", "api_key"),  # the new pair, checked
        ("GET", "auth_token"),  # the account's keys, for the report
    ]
    assert again.new_key_sid == first.new_key_sid and not again.created
    assert again.check.delivery == "stands" and len(keys(f)) == 2
    assert len(snapshot(f.url, f.account_sid)["messages"]) == 1


def test_without_a_phone_the_new_key_fetches_the_service_and_nothing_is_sent(flow):
    f = flow()
    result = rotate(f, "")
    assert result.check.check == "key check passed"
    assert snapshot(f.url, f.account_sid)["messages"] == []
    fetched = [r for r in mine(f) if r["path"].endswith(f"/v1/Services/{f.service_sid}")]
    assert fetched and fetched[0]["auth_username"] == result.new_key_sid


# ---------------------------------------------------------------- phase two


def test_phase_two_checks_the_new_pair_then_revokes_the_old_key(flow):
    f = flow()
    old_sid, old_secret = pair(f)
    rotate(f)
    new_sid, new_secret = pair(f)
    copies = f.rb.store.copies()
    assert leaks([old_secret], copies) != []  # Postman's pair is kept while it may be in use
    mark = len(request_log(f.url, f.account_sid))

    done = rotate(f, "", postman_updated=True)

    sent = [(r["method"], r["auth_kind"]) for r in mine(f, mark)]
    assert sent[:2] == [("GET", "api_key"), ("DELETE", "auth_token")]  # checked, then revoked
    assert done.phase == FINISHED and done.old_key_revoked
    assert code_for(f, old_sid, old_secret) == 20003  # Twilio refuses the old pair now
    assert code_for(f, new_sid, new_secret) is None
    assert keys(f) == [new_sid]
    # ...and the revoked key's pair left the env file's backups at once: no copy keeps the dead
    # secret (nor, here, anything the env file lacks, so the backup went).
    assert not any(c.exists() for c in copies) and f.rb.store.copies() == []
    tidied = CredentialCopiesTidied
    assert kinds(f)[-4:] == [PostmanUpdateConfirmed, KeyVerified, KeyRevoked, tidied]
    revoked = f.rb.progress.events(KeyRevoked, step=ROTATE)[-1]
    assert revoked.key_sid == old_sid
    assert f.rb.progress.read(ROTATE).phase == FINISHED
    assert "revoked" in str(panel(done))
    # Step 02 afterwards: the new pair is reused and nothing is left over.
    after = set_up_api_key(f.rb)
    assert after.how == "reused" and after.key_sid == new_sid and after.old_keys == ()

    # Phase two again: finished already, nothing revoked, nothing created.
    mark = len(request_log(f.url, f.account_sid))
    again = rotate(f, "", postman_updated=True)
    assert again.phase == FINISHED and any("Nothing was done" in n for n in again.notes)
    assert [r["method"] for r in mine(f, mark)] == ["GET"]  # the keys, for the report
    # The next rotation starts afresh from the new key.
    second = rotate(f, "")
    assert second.old_key_sid == new_sid and second.new_key_sid not in (old_sid, new_sid)


def test_step_02_before_phase_two_points_to_07_for_the_replaced_key(flow):
    f = flow()
    old_sid, _ = pair(f)
    rotate(f)

    result = set_up_api_key(f.rb)

    assert result.how == "reused" and [k.sid for k in result.old_keys] == [old_sid]
    assert result.orphans == ()  # replaced, not an orphan: Postman may still use it
    note = " ".join(result.notes)
    assert ROTATE.id in note and "postman_updated True" in note
    assert "replaced key (still works)" in str(api_key_panel(result))


def test_phase_two_before_phase_one_is_refused_and_revokes_nothing(flow):
    f = flow()
    before = keys(f)
    with pytest.raises(StepBlocked) as caught:
        rotate(f, "", postman_updated=True)
    assert caught.value.field == "postman_updated" and "Nothing was revoked" in caught.value.message
    assert "without postman_updated" in caught.value.advice
    assert keys(f) == before and mine(f) == []


def test_phase_two_whose_check_fails_revokes_nothing(flow):
    f = flow()
    old_sid, old_secret = pair(f)
    rotate(f, "")
    set_faults(f.url, r"GET /IncomingPhoneNumbers\.json", status=401, code=20003)

    with pytest.raises(TwilioActionError) as caught:
        rotate(f, "", postman_updated=True)

    assert "Nothing was revoked" in caught.value.advice
    assert old_sid in keys(f) and code_for(f, old_sid, old_secret) is None
    record = f.rb.progress.read(ROTATE)
    assert record.status == "failed" and record.phase == WAITING  # still waiting
    assert rotate(f, "", postman_updated=True).old_key_revoked  # once it passes, it goes
    assert old_sid not in keys(f)


# ---------------------------------------------------------------- types, Postmans, lost secrets


def test_a_restricted_key_is_rotated_to_a_restricted_key(flow):
    f = flow()
    call("revoke the flow's key", f.client().keys(f.api_key_sid).delete)
    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    set_up_api_key(f.rb, api_key_type="restricted")
    old_sid, _ = pair(f)

    result = rotate(f)

    new_sid, _ = pair(f)
    assert result.key_type == "restricted" and result.check.check == "passed"
    types = {k["sid"]: k["key_type"] for k in snapshot(f.url, f.account_sid)["keys"]}
    assert types == {old_sid: "restricted", new_sid: "restricted"}
    policy = f.client().iam.v1.api_key(new_sid).fetch().policy
    assert policy == postman_policy()
    assert [r["path"] for r in mine(f) if r["method"] == "POST"][0] == "/v1/Keys"
    # The new pair does what Postman does and nothing else: the message log is outside it.
    new_client = make_client(
        f.account_sid, api_key_sid=new_sid, api_secret=pair(f)[1], base_url=f.url
    )
    with pytest.raises(TwilioActionError) as outside:
        call("read the message log", new_client.messages.list, limit=5)
    assert outside.value.code == 70051
    assert audit(f, str(panel(result)), repr(result), also=[pair(f)[1]]) == []
    assert rotate(f, "", postman_updated=True).old_key_revoked


@pytest.mark.parametrize("postman", ["legacy", "v2"])
def test_the_panel_says_where_the_values_go_for_the_postman_in_use(flow, postman):
    f = flow()
    f.rb.progress.save(START, StartRecord(status="done", mode="sandbox", postman=postman))

    result = rotate(f, "")

    text = str(panel(result))
    if postman == "v2":
        assert "Internal Staff" in text and "Expected Sender Name ('GOVTECH')" in text
        assert "Settings > Credentials" not in text
    else:
        assert "legacy.postman.gov.sg" in text and f"'{result.new_label}'" in text
        assert "cannot be edited" in text and "every campaign" in text
    assert f.rb.progress.read(ROTATE).postman == postman


def test_new_labels_follow_postmans_rule():
    from datetime import date

    label = new_label("postman-sms", date(2027, 1, 5))
    assert label == "postman-sms-202701"
    assert new_label(label, date(2027, 1, 9)) == label  # not stamped twice
    long = new_label("x" * 50, date(2027, 1, 5))
    assert len(long) <= 50 and long.endswith("-202701")
    assert where_values_go("legacy", "a", "b", None)[0].startswith("Sign in to legacy Postman")


@pytest.mark.parametrize("how", ["lost", "wrong"])
def test_a_lost_or_wrong_secret_is_rotated_without_checking_the_old_pair(flow, how):
    f = flow()
    old_sid, _ = pair(f)
    if how == "lost":
        f.rb.store.remove(API_KEY_SECRET)
    else:
        f.rb.store.save({API_KEY_SECRET: "W" * 32})

    result = rotate(f, "")

    assert result.new_key_sid != old_sid and pair(f)[0] == result.new_key_sid
    said = " ".join(result.notes)
    assert ("without first checking" if how == "lost" else "without a working old one") in said
    assert rotate(f, "", postman_updated=True).old_key_revoked
    assert keys(f) == [result.new_key_sid]
    assert "W" * 32 not in str(panel(result))


def test_the_terminal_summary_follows_the_rotation_and_never_shows_a_secret(flow):
    from onboarding_helpers.steps.rotate_key.summary import summary as rotation_summary

    f = flow()
    where = (f.rb.settings.env_file, f.rb.settings.state_dir)
    assert rotation_summary(*where) == []  # before any rotation
    rotate(f, "")
    waiting = "\n".join(rotation_summary(*where))
    new_sid, new_secret = pair(f)
    assert "phase one done" in waiting and new_sid in waiting and new_secret not in waiting
    old_sid = f.rb.progress.read(ROTATE).old_key_sid
    rotate(f, "", postman_updated=True)
    [finished] = rotation_summary(*where)
    assert "finished" in finished and f"the old key {old_sid} is revoked" in finished


# ---------------------------------------------------------------- refusals change nothing


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": "12345"}, "test_phone"),
        ({"phone": "+65 6123 456"}, "test_phone"),
        ({"postman_updated": "True"}, "postman_updated"),
        ({"postman_updated": 1}, "postman_updated"),
        ({"wait_seconds": -1}, "wait_seconds"),
    ],
)
def test_bad_input_is_refused_before_anything_is_done(flow, kwargs, field):
    f = flow()
    before = (keys(f), f.rb.store.path.read_bytes(), f.rb.progress.read(ROTATE))
    phone = kwargs.pop("phone", SG_MOBILE)
    with pytest.raises(InputError) as caught:
        rotate_key(f.rb, phone, **{"wait_seconds": 5, **kwargs})
    assert caught.value.field == field
    assert (keys(f), f.rb.store.path.read_bytes(), f.rb.progress.read(ROTATE)) == before
    assert mine(f) == []


def test_without_a_key_or_a_token_it_is_blocked_and_says_what_to_do(flow):
    f = flow()
    f.rb.store.remove(AUTH_TOKEN)
    with pytest.raises(StepBlocked) as caught:
        rotate(f, "")
    assert AUTH_TOKEN in caught.value.message and mine(f) == []
    f.rb.store.save({AUTH_TOKEN: f.auth_token})
    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    with pytest.raises(StepBlocked, match="no API key to rotate") as caught:
        rotate(f, "")
    assert API_KEY.id in caught.value.advice and len(keys(f)) == 1


# ---------------------------------------------------------------- interrupted and failed creates


def test_a_create_whose_answer_was_lost_leaves_one_usable_new_key_and_reports_the_other(flow):
    f = flow()
    old_sid, _ = pair(f)
    set_faults(f.url, r"POST /Keys\.json$", status=500, phase="after")

    result = rotate(f, "")

    new_sid, _ = pair(f)
    lost = [e.key_sid for e in f.rb.progress.events(KeyCreateAnswerLost, step=ROTATE)]
    assert len(lost) == 1 and lost[0] not in (old_sid, new_sid)
    assert sorted(keys(f)) == sorted([old_sid, new_sid, lost[0]])
    assert [k.sid for k in result.orphans] == lost
    assert any("answer was lost" in n for n in result.notes)


def test_a_rotation_stopped_after_the_create_goes_on_without_a_second_key(flow, monkeypatch):
    """As if the run died right after the new key was journalled (the record still says
    'creating'): the next run takes the saved pair as the new key."""
    f = flow()
    old_sid, _ = pair(f)
    real_save = Job.save

    def dies_once_the_key_is_saved(job: Job, **changes: Any) -> Any:
        if changes.get("new_key_sid"):
            raise KeyboardInterrupt  # the process stops here
        return real_save(job, **changes)

    monkeypatch.setattr(Job, "save", dies_once_the_key_is_saved)
    with pytest.raises(KeyboardInterrupt):
        rotate(f, "")
    monkeypatch.undo()
    assert f.rb.progress.read(ROTATE).phase == "creating new key"
    assert KeyCreated in kinds(f) and KeyReplaced not in kinds(f)
    new_sid = pair(f)[0]
    assert new_sid != old_sid

    result = rotate(f, "")

    assert result.new_key_sid == new_sid and not result.created
    assert sorted(keys(f)) == sorted([old_sid, new_sid])
    assert KeyReplaced in kinds(f)
    assert rotate(f, "", postman_updated=True).old_key_revoked and keys(f) == [new_sid]


def test_a_new_secret_the_env_file_could_not_take_is_rescued_and_moved_in_next_time(
    flow, monkeypatch
):
    f = flow()
    old_sid, old_secret = pair(f)
    real_save = CredentialStore.save

    def refuse_new_pair(store: CredentialStore, values: dict[str, str]) -> Any:
        if values.get(API_KEY_SID) and values[API_KEY_SID] != old_sid:
            raise OSError(errno.ENOSPC, "No space left on device", str(store.path))
        return real_save(store, values)

    monkeypatch.setattr(CredentialStore, "save", refuse_new_pair)
    with pytest.raises(rescue.SecretNotSaved) as caught:
        rotate(f, "")
    err = caught.value
    assert err.rescue_file is not None and pair(f) == (old_sid, old_secret)  # old pair intact
    assert f.rb.progress.read(API_KEY).status != "failed"  # 02's record is not 07's to mark
    monkeypatch.undo()

    result = rotate(f, "")

    assert result.new_key_sid == err.key_sid == pair(f)[0] and not err.rescue_file.exists()
    assert sorted(keys(f)) == sorted([old_sid, err.key_sid])  # no second new key
    assert any("rescue file" in n for n in result.notes)
    backups = [dotenv_values(p).get(API_KEY_SID) for p in f.rb.store.backups()]
    assert old_sid in backups  # the old pair was kept when the rescued one moved in


# ---------------------------------------------------------------- the form


def _text(output: Any) -> str:
    return "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in output.outputs)


def test_form_does_phase_one_then_phase_two_only_when_ticked(flow):
    f = flow()
    old_sid, _ = pair(f)
    shown = form(f.rb, wait_seconds=5)
    assert shown.action.button("press")["label"] == "Make and check the new key"
    assert not shown.action.field("auth_token")["shown"]  # the env file holds the token

    shown.phone.value = SG_MOBILE
    press(shown.action, "press")

    new_sid, new_secret = pair(f)
    assert "New API key made" in _text(shown.output) and new_sid in _text(shown.output)
    assert old_sid in keys(f)
    shown.postman_updated.value = True
    assert shown.action.button("press")["label"] == "Revoke the old key"
    assert shown.action.button("press")["style"] == "danger"
    press(shown.action, "press")
    assert "Rotation finished" in _text(shown.output) and keys(f) == [new_sid]
    assert shown.postman_updated.value is False  # one deliberate press at a time
    assert new_secret not in _text(shown.output)


def test_form_takes_a_typed_auth_token_for_one_press_when_it_was_put_away(flow):
    f = flow()
    f.rb.store.remove(AUTH_TOKEN)
    shown = form(f.rb, wait_seconds=5)
    assert shown.action.field("auth_token")["shown"]  # offered: the env file has none

    press(shown.action, "press", auth_token=f.auth_token)

    assert "New API key made" in _text(shown.output) and not shown.action.disabled
    assert AUTH_TOKEN not in f.rb.store.values()
    assert f.auth_token not in str(shown.action.get_state())
    assert audit(f, _text(shown.output)) == []


# ---------------------------------------------------------------- headless, through the runner

PHONE = ("-r", "test_phone", SG_MOBILE)


def _values(ws: Any) -> dict[str, str]:
    return CredentialStore(ws.env_file).values()


def _sandbox_view(ws: Any, account_sid: str) -> dict[str, Any]:
    from onboarding_helpers.sandbox import SandboxServer

    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        return snapshot(server.url, account_sid)


def _signs_in(ws: Any, key_sid: str, secret: str) -> int | None:
    """None if the pair works as Postman's sign-in, else Twilio's error code."""
    from onboarding_helpers.sandbox import SandboxServer

    values = _values(ws)
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        client = make_client(
            values["TWILIO_ACCOUNT_SID"],
            api_key_sid=key_sid,
            api_secret=secret,
            base_url=server.url,
        )
        service = values["TWILIO_MESSAGING_SERVICE_SID"]
        try:
            call("sign in", client.messaging.v1.services(service).fetch)
        except TwilioActionError as err:
            return err.code
    return None


def _state_and_outputs(ws: Any) -> list[Path]:
    """Everything a run writes but the env file and its dated backups."""
    return [ws.state_dir, ws.out_dir, ws.root / "out-07", ws.root / "out-07b"]


@pytest.mark.notebook
def test_headless_phase_one_shows_what_to_do_and_keeps_the_old_pair(workspace):
    """The wiring of notebook 07: a run of it alone, after steps 00-04 made in-process. What the
    step does in either phase is proven in-process above."""
    ws = workspace
    ws.prepare("00", "01", "02", "03", "04")
    old = _values(ws)
    old_pair = (old[API_KEY_SID], old[API_KEY_SECRET])

    one = ws.cli("--only", "07", *PHONE)

    assert one.returncode == 0, one.stdout + one.stderr
    new = _values(ws)
    assert new[API_KEY_SID] != old[API_KEY_SID]
    assert _signs_in(ws, *old_pair) is None  # Postman's pair still works
    assert _signs_in(ws, new[API_KEY_SID], new[API_KEY_SECRET]) is None
    executed = (ws.out_dir / "07_rotate_key.ipynb").read_text()
    assert "Put it into Postman" in executed and "Settings &gt; Credentials" in executed
    # The terminal says where things stand and what to do next, the secret masked.
    assert "Key rotation, phase one done" in one.stdout and new[API_KEY_SID] in one.stdout
    assert "••••" + new[API_KEY_SECRET][-4:] in one.stdout and "postman_updated True" in one.stdout
    # The old pair is kept (Postman still uses it) in a dated backup, and nowhere else.
    assert leaks([old[API_KEY_SECRET]], CredentialStore(ws.env_file).copies()) != []
    secrets = [old[AUTH_TOKEN], old[API_KEY_SECRET], new[API_KEY_SECRET]]
    assert leaks(secrets, _state_and_outputs(ws), [one.stdout, one.stderr]) == []


@pytest.mark.notebook
def test_killed_right_after_the_new_key_is_journalled_then_rerun(workspace):
    """SIGKILL to the runner's process group once the journal holds step 07's ``KeyCreated``;
    the next run finds the new key saved and goes on: one new key, nothing lost, the old key
    still there to revoke, no second check SMS, nothing leaked."""
    from onboarding_helpers.sandbox import SandboxServer, set_account

    from .test_interrupted_runs import journalled, kill_when, start_run

    ws = workspace
    ws.prepare("00", "01", "02", "03", "04")
    old = _values(ws)
    account = old["TWILIO_ACCOUNT_SID"]
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        # Slow deliveries: the killed kernel is still following its SMS when it dies.
        set_account(server.url, account, message_step_seconds=0.75)

    proc = start_run(ws, "--only", "07", *PHONE, out=ws.root / "out-07")
    out, err, alive = kill_when(proc, ws, journalled(KeyCreated, ROTATE))

    assert alive == [], f"kernels outlived the killed runner: {alive}"
    [created] = ProgressRecord(ws.state_dir).events(KeyCreated, step=ROTATE)
    assert _values(ws)[API_KEY_SID] == created.key_sid  # saved before it was journalled
    rerun = ws.cli("--only", "07", *PHONE, "--out", str(ws.root / "out-07b"))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    new = _values(ws)
    journal = ProgressRecord(ws.state_dir)
    assert [e.key_sid for e in journal.events(KeyCreated, step=ROTATE)] == [created.key_sid]
    assert new[API_KEY_SID] == created.key_sid
    view = _sandbox_view(ws, account)
    assert sorted(k["sid"] for k in view["keys"]) == sorted([old[API_KEY_SID], created.key_sid])
    checks = [m for m in view["messages"] if m["body"] == ROTATION_BODY]
    assert len(checks) == 1  # the stopped run's SMS was followed, not sent again
    sent = {e.message_sid for e in journal.events(MessageSent, step=ROTATE)}
    assert sent == {checks[0]["sid"]}
    record = journal.read(ROTATE)
    assert record.phase == WAITING and record.old_key_sid == old[API_KEY_SID]
    assert _signs_in(ws, old[API_KEY_SID], old[API_KEY_SECRET]) is None  # nothing lost
    assert old[API_KEY_SECRET] in {
        dotenv_values(p).get(API_KEY_SECRET) for p in CredentialStore(ws.env_file).backups()
    }

    finish = ws.cli("--only", "07", "-p", "postman_updated", "True")
    assert finish.returncode == 0, finish.stdout + finish.stderr
    assert _signs_in(ws, old[API_KEY_SID], old[API_KEY_SECRET]) == 20003
    assert _signs_in(ws, new[API_KEY_SID], new[API_KEY_SECRET]) is None
    texts = [out, err, rerun.stdout, rerun.stderr, finish.stdout, finish.stderr]
    secrets = [old[AUTH_TOKEN], old[API_KEY_SECRET], new[API_KEY_SECRET]]
    assert leaks(secrets, _state_and_outputs(ws), texts) == []
