"""Step 08 on a large account (issue 26): the health check of N messages against the sandbox.

    .venv/bin/python benchmarks/health_check.py [--messages 10000] [--runs 3] [--json FILE]
    .venv/bin/python benchmarks/health_check.py --smoke     # 2,000 messages, one run

A practice account is set up as an agency's would be after weeks of campaigns: a Messaging
Service with its Sender ID, a Standard API key, the four values Postman holds in an env file with
no Auth Token, and N messages of mixed outcome in the message log (the sandbox's staged history,
spread over the last six days). The sandbox runs in its own process, as in a class, so this
process holds only the runbook. After one warm-up check (the SDK loads its modules on first use),
``health_check`` runs as the notebook runs it (one progress line per page, not printed here) and
the script prints, per run and as the median:

- the wall time of the check (target: at most 10 s for 10,000 messages);
- the peak memory the check allocated (``tracemalloc``), next to the same check's peak on an
  account holding one page (1,000 messages): read page by page into counts, the peak must not
  grow with the account (target: under twice the one-page peak);
- the number of message-list requests (from the sandbox's request log: ``GET .../Messages.json``
  with the step's user agent), each a page of up to 1000, and the requests that were not GET
  (target: none);
- this process's peak resident memory (``ru_maxrss``), for the record.

It exits 1 when a target is missed, or when the check's counts differ from the staged history.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onboarding_helpers.credentials import (  # noqa: E402
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    MESSAGING_SERVICE_SID,
)
from onboarding_helpers.runbook import Runbook, Settings  # noqa: E402
from onboarding_helpers.sandbox import (  # noqa: E402
    ensure_running,
    provision_account,
    request_log,
    set_account,
    stop_running,
)
from onboarding_helpers.steps.health_check import STEP, health_check  # noqa: E402
from onboarding_helpers.twilio_gateway import make_client  # noqa: E402

SECONDS_TARGET = 10.0  # for 10,000 messages
MEMORY_RATIO_TARGET = 2.0
ONE_PAGE = 1000
# Shares of each outcome in the staged history (the rest delivered).
SHARES = {"30003": 0.04, "30005": 0.02, "30007": 0.05, "30008": 0.01, "21610": 0.02, "sent": 0.01}


def _mix(total: int) -> dict[str, int]:
    mix = {code: int(total * share) for code, share in SHARES.items()}
    return {"delivered": total - sum(mix.values()), **mix}


def _account(url: str, folder: Path, messages: int) -> Runbook:
    """A practice account in use: its env file holds the four values only; N messages logged."""
    made = provision_account(url, friendly_name="Benchmark agency")
    ac, token = made["account_sid"], made["auth_token"]
    client = make_client(ac, auth_token=token, base_url=url)
    service = client.messaging.v1.services.create(friendly_name="Campaigns")
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="MYAGENCY")
    key = client.new_keys.create(friendly_name="Postman")
    history = {"service_sid": service.sid, "days": 6, "seed": 26, "mix": _mix(messages)}
    set_account(url, ac, message_history=json.dumps(history))
    settings = Settings("sandbox", folder / ".env", folder / "state", folder / "unused", url)
    rb = Runbook(settings)
    rb.store.save(
        {
            ACCOUNT_SID: ac,
            API_KEY_SID: key.sid,
            API_KEY_SECRET: key.secret,
            MESSAGING_SERVICE_SID: service.sid,
        }
    )
    return rb


def _measure(rb: Runbook, url: str, expected: int) -> dict[str, Any]:
    """One health check: seconds, peak allocation, list requests, and its counts checked."""
    account_sid = rb.store.values()[ACCOUNT_SID]
    before = len(request_log(url, account_sid))
    tracemalloc.start()
    started = time.perf_counter()
    result = health_check(rb)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    sent = [
        r
        for r in request_log(url, account_sid)[before:]
        if f"step/{STEP.id}" in (r["user_agent"] or "")
    ]
    lists = [r for r in sent if r["path"].endswith("/Messages.json")]
    counted = result.counts.total if result.counts is not None else -1
    return {
        "seconds": round(seconds, 3),
        "peak_kib": round(peak / 1024),
        "list_requests": len(lists),
        "requests": len(sent),
        "not_get": sum(1 for r in sent if r["method"] != "GET"),
        "counted": counted,
        "counted_right": counted == expected,
    }


def run(messages: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="health-bench-") as tmp:
        folder = Path(tmp)
        url = ensure_running(folder / "sandbox")
        try:
            small = _account(url, folder / "one-page", ONE_PAGE)
            large = _account(url, folder / "large", messages)
            health_check(small)  # warm-up: the SDK's modules load on first use, untraced
            one_page = _measure(small, url, ONE_PAGE)
            measured = [_measure(large, url, messages) for _ in range(runs)]
        finally:
            stop_running(folder / "sandbox")
    seconds = statistics.median(m["seconds"] for m in measured)
    peak = statistics.median(m["peak_kib"] for m in measured)
    ratio = peak / one_page["peak_kib"] if one_page["peak_kib"] else float("inf")
    target = SECONDS_TARGET * messages / 10_000
    return {
        "messages": messages,
        "runs": measured,
        "one_page": one_page,
        "median_seconds": seconds,
        "median_peak_kib": peak,
        "peak_ratio_to_one_page": round(ratio, 2),
        "list_requests": measured[0]["list_requests"],
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "seconds_target": target,
        "ok": seconds <= target
        and ratio < MEMORY_RATIO_TARGET
        and all(m["not_get"] == 0 and m["counted_right"] for m in [*measured, one_page]),
    }


def _print(figures: dict[str, Any]) -> None:
    n = figures["messages"]
    print(f"Health check (step 08) of an account with {n:,} messages in the window")
    for i, m in enumerate(figures["runs"], 1):
        print(
            f"  run {i}: {m['seconds']:.2f} s, peak {m['peak_kib']:,} KiB allocated,"
            f" {m['list_requests']} list requests ({m['requests']} requests, {m['not_get']} not"
            f" GET), counted {m['counted']:,}"
        )
    one = figures["one_page"]
    print(
        f"  median: {figures['median_seconds']:.2f} s (target <= {figures['seconds_target']:g} s),"
        f" peak {figures['median_peak_kib']:,} KiB: {figures['peak_ratio_to_one_page']}x the"
        f" {one['peak_kib']:,} KiB of a one-page account ({ONE_PAGE:,} messages; target <"
        f" {MEMORY_RATIO_TARGET:g}x)"
    )
    print(
        f"  message-list requests: {figures['list_requests']} (PageSize 1000);"
        f" this process's peak RSS {figures['ru_maxrss_kib']:,} KiB"
    )
    print("OK" if figures["ok"] else "MISSED A TARGET")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="2,000 messages, one run")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    messages, runs = (2_000, 1) if args.smoke else (args.messages, args.runs)
    figures = run(messages, max(1, runs))
    _print(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
