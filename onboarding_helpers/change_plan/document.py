"""The plan's two files in the state folder: ``plan-<UTC>.json`` (what ``run --apply`` reads) and
``plan-<UTC>.md`` (for the change request: readable, no secret, phone numbers masked), which
names the JSON file and its sha256 so that the approver knows what will run."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

from ..errors import RunbookError
from ..files import make_folder, write_atomically
from ..phone import mask_phone
from ..report import _cell as cell
from ..report import scrub
from ..steps import registry
from .make import STAMP
from .model import CURRENCY, UNKNOWN_PRICE, ChangePlan

_PHONE = re.compile(r"\+\d{8,15}")
APPLY_COMMAND = "python -m onboarding_helpers run --apply"


def plan_text(plan: ChangePlan) -> str:
    """The JSON file's text (its sha256 is the plan's)."""
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _when(stamp: str) -> str:
    """ "20240501T100000Z" as "2024-05-01 10:00:00 UTC"."""
    try:
        return datetime.strptime(stamp, STAMP).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return stamp


def _title(step_id: str) -> str:
    step = registry.BY_ID.get(step_id)
    return f"{step.number} {step.title}" if step else step_id


def _summary(plan: ChangePlan) -> str:
    changing = plan.changing()
    if not changing:
        return "No change: everything is reused or only read, and nothing is billed."
    counts = Counter(a.action for a in changing)
    kinds = ", ".join(f"{what} {n}" for what, n in counts.items())
    billed = f"{CURRENCY} {plan.billed_total()}"
    if plan.unknown_prices():
        billed += " plus messages at prices the runbook does not know"
    return f"{len(changing)} change(s) ({kinds}); billed: {billed} at the guide's prices."


def _read_lines(plan: ChangePlan) -> list[str]:
    seen = plan.fingerprint
    account, balance = seen.get("account", {}), seen.get("balance", {})
    shown = f"{balance.get('currency', '')} {balance.get('amount', '')}".strip() or "unknown"
    lines = [
        f"- Account {account.get('sid', '')}: {account.get('type', '')},"
        f" {account.get('status', '')}; balance {shown}",
        f"- API keys: {len(seen.get('api_keys', {}))}; Messaging Services:"
        f" {len(seen.get('messaging_services', {}))}; phone numbers:"
        f" {len(seen.get('phone_numbers', {}))}",
    ]
    if seen.get("service"):
        senders = ", ".join(sorted(seen.get("alpha_senders", {}).values())) or "none"
        lines.append(
            f"- Service {seen['service']}: Sender IDs {senders}; numbers in its pool:"
            f" {len(seen.get('service_numbers', {}))}"
        )
    return lines


def markdown(plan: ChangePlan, json_path: Path, sha256: str) -> str:
    """The plan for people: what each step would do, what only acting can check, what it read,
    the parameters, and how to apply it. Phone numbers are masked."""
    rows = [
        f"| {cell(_title(a.step))} | {a.action} {a.kind} | {cell(a.name)} |"
        f" {cell('unknown' if a.billed == UNKNOWN_PRICE else a.billed)} | {cell(a.why)} |"
        for a in plan.actions
    ]
    lines = [
        f"# Change plan for account {plan.account_sid}",
        "",
        f"Made {_when(plan.made_at)} in {plan.mode} mode: requests go to {plan.requests_go_to}.",
        f"Env file: `{plan.env_file}`. Steps: {', '.join(plan.steps)}.",
        f"Plan file: `{json_path}`, sha256 `{sha256}`.",
        "",
        "## What the run would do",
        "",
        f"| Step | Action | What | Billed ({CURRENCY}) | Why |",
        "|---|---|---|---|---|",
        *rows,
        "",
        _summary(plan),
    ]
    if plan.stop:
        lines += ["", f"**The run would stop at step {plan.stop}** It cannot be applied so."]
    if plan.unchecked:
        lines += ["", "## Checked only by acting", "", *(f"- {u}" for u in plan.unchecked)]
    if plan.notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in plan.notes)]
    lines += ["", "## What the plan read", "", *_read_lines(plan)]
    if plan.parameters:
        table = [f"| {cell(k)} | {cell(v)} |" for k, v in sorted(plan.parameters.items())]
        lines += ["", "## Parameters", "", "| Name | Value |", "|---|---|", *table]
    lines += [
        "",
        "## Applying it",
        "",
        f"Once approved: `{APPLY_COMMAND} {json_path}`. The run first reads the account again and"
        " refuses, naming what changed, if an API key, Messaging Service, Sender ID or phone"
        " number was added or removed, or the balance no longer pays for what is billed. Then"
        " it makes exactly the changes above and no other (any other change is refused before"
        " it is sent), and the journal records this plan's file and sha256 with each action.",
    ]
    text = "\n".join(lines) + "\n"
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _free_name(state_dir: Path, stamp: str) -> str:
    """plan-<UTC>, or plan-<UTC>-2 ... when a plan of that second exists."""
    base, number = f"plan-{stamp}", 1
    name = base
    while (state_dir / f"{name}.json").exists() or (state_dir / f"{name}.md").exists():
        number += 1
        name = f"{base}-{number}"
    return name


def write_plan(plan: ChangePlan, state_dir: Path, secrets: list[str]) -> tuple[Path, Path, str]:
    """Write the plan's JSON and Markdown files (0600) into the state folder: (json, md,
    sha256). Refused if either would hold one of ``secrets`` (the env file's)."""
    make_folder(state_dir, "state_dir")
    name = _free_name(state_dir, plan.made_at)
    json_path, md_path = state_dir / f"{name}.json", state_dir / f"{name}.md"
    text = plan_text(plan)
    sha = sha256_of(text.encode("utf-8"))
    document = scrub(markdown(plan, json_path, sha), secrets)
    if any(secret and secret in text + document for secret in secrets):
        raise RunbookError(
            "The plan would hold a secret from the env file, so it was not written.",
            advice="Check the parameters for a pasted secret (they go into the plan).",
        )
    write_atomically(json_path, text, field="state_dir")
    write_atomically(md_path, document, field="state_dir")
    return json_path, md_path, sha
