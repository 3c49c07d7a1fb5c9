"""Runbook: mitigate every violation of a security profile's behavior in the last N hours.

    python examples/runbook.py --profile smart-lights-ml --behavior num-messages-sent-ml \\
        --action quarantine --hours 6 --dry-run

One task covers the whole window; the script waits for it, printing each change, and prints the
final summary as JSON. ``--dry-run`` validates the request and prints it without calling AWS.
Re-running after a lost session: pass the ``--task-id`` the first run printed; the start is then
refused with TaskAlreadyExistsError, never duplicated.

Exit status: 0 when the task ended SUCCESSFUL (or on a dry run), 1 when it failed, was canceled,
timed out or AWS refused it, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from pydantic import ValidationError

from iot_detect_mitigation import (
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    DetectMitigationError,
    StartDetectMitigationActionsTaskRequest,
    ViolationEventOccurrenceRange,
    WaitError,
)


def positive_hours(text: str) -> float:
    hours = float(text)
    if not 0 < hours <= 24 * 90:  # AWS keeps violations and tasks for 90 days
        raise argparse.ArgumentTypeError("must be more than 0 and at most 2160 (90 days)")
    return hours


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="runbook.py",
        description="Mitigate every violation of a security profile's behavior in the last hours.",
    )
    parser.add_argument("--profile", required=True, help="security profile name")
    parser.add_argument("--behavior", required=True, help="behavior name within the profile")
    parser.add_argument(
        "--action",
        dest="actions",
        action="append",
        required=True,
        help="mitigation action name; repeat for up to 5",
    )
    parser.add_argument("--hours", type=positive_hours, default=1.0, help="window (default 1)")
    parser.add_argument("--task-id", help="default: derived from profile, behavior and time")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait (900)")
    parser.add_argument("--region", help="AWS region (default: from the environment)")
    parser.add_argument("--endpoint-url", help="another endpoint, such as a local emulator")
    parser.add_argument("--dry-run", action="store_true", help="print the request, start nothing")
    return parser.parse_args(argv)


def default_task_id(profile: str, behavior: str, now: datetime) -> str:
    """Readable and unique per second; task ids allow only ``[a-zA-Z0-9_-]``, 128 at most."""

    def slug(name: str) -> str:
        return re.sub(r"[^a-zA-Z0-9_-]", "-", name)[:50]

    return f"runbook-{slug(profile)}-{slug(behavior)}-{now:%Y%m%dT%H%M%SZ}"


def as_json(summary: DetectMitigationActionsTaskSummary) -> str:
    return json.dumps(summary.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def print_update(out: TextIO) -> Callable[[DetectMitigationActionsTaskSummary], None]:
    def show(summary: DetectMitigationActionsTaskSummary) -> None:
        stats = summary.task_statistics
        out.write(
            f"{datetime.now(UTC):%H:%M:%S} {summary.task_status}: "
            f"executed {stats.actions_executed or 0}, skipped {stats.actions_skipped or 0}, "
            f"failed {stats.actions_failed or 0}\n"
        )
        out.flush()

    return show


def main(
    argv: Sequence[str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    out: TextIO = sys.stdout,
) -> int:
    """Run the runbook and return its exit status; ``sleep`` and ``clock`` are for tests."""
    args = parse_args(argv)
    now = datetime.now(UTC)
    task_id = args.task_id or default_task_id(args.profile, args.behavior, now)
    try:
        # Built first, so that a dry run checks exactly what a real run would send.
        request = StartDetectMitigationActionsTaskRequest(
            task_id=task_id,
            target=DetectMitigationActionsTaskTarget(
                security_profile_name=args.profile, behavior_name=args.behavior
            ),
            actions=args.actions,
            violation_event_occurrence_range=ViolationEventOccurrenceRange(
                start_time=now - timedelta(hours=args.hours), end_time=now
            ),
            client_request_token="dry-run",  # the real start draws its own
        )
    except ValidationError as error:
        out.write(f"invalid request: {error}\n")
        return 2
    if args.dry_run:
        shown = request.model_dump(mode="json", exclude_none=True, exclude={"client_request_token"})
        out.write(f"Dry run: would start\n{json.dumps(shown, indent=2)}\n")
        return 0

    client = DetectMitigationClient(
        region_name=args.region, endpoint_url=args.endpoint_url, sleep=sleep, clock=clock
    )
    try:
        client.start_task(
            task_id=request.task_id,
            target=request.target,
            actions=request.actions,
            violation_event_occurrence_range=request.violation_event_occurrence_range,
        )
        out.write(f"Started task {task_id}\n")
        summary = client.wait_for_completion(
            task_id, timeout=args.timeout, on_update=print_update(out)
        )
    except WaitError as error:
        out.write(f"FAILED: {error}\n")
        if error.summary is not None:
            out.write(as_json(error.summary))
        return 1
    except DetectMitigationError as error:
        out.write(f"FAILED: {error}\n")
        return 1
    out.write(as_json(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
