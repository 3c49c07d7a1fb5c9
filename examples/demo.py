"""The whole job end to end, against the in-process emulator: ``make demo``.

It quarantines the things that violated an ML Detect behavior in the last hour: it creates a
quarantine thing group and a mitigation action that fills it, seeds violations, starts a task on
the security profile and behavior, shows its progress (redrawn on one line on a terminal, one
line per change otherwise) and prints the final summary. It ends with the results per device:
which things were quarantined, and which failed and why. One mitigation fails on purpose, as on a
real bad day, so that the table shows what a failure looks like. It exits non-zero if anything
differs from what it expects. Nothing here reaches AWS: credentials are fake and moto answers
every call.

``--fail THING`` chooses which things' mitigation fails (light-021 by default); ``--no-fail``
injects no failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TextIO
from unittest import mock

import boto3

from iot_detect_mitigation import (
    DetectMitigationActionExecution,
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    DetectMitigationError,
    TaskFailedError,
    ViolationEventOccurrenceRange,
    WaitError,
    WaitPolicy,
)
from iot_detect_mitigation.testing import mock_detect_mitigation

REGION = "us-east-1"
PROFILE = "smart-lights-ml"
BEHAVIOR = "num-messages-sent-ml"
GROUP = "quarantine"
ACTION = "quarantine-violators"
ROLE = "arn:aws:iam::123456789012:role/device-defender-mitigation"
VIOLATORS = ["light-007", "light-013", "light-021", "light-042"]
OLD_VIOLATOR = "light-099"  # violated two days ago: outside the window, so left alone
INJECTED_FAILURE = "light-021"
FAILURE_CODE, FAILURE_MESSAGE = (
    "DeviceUnreachable",
    "the thing did not answer (injected by the demo)",
)

# The emulated task ends on its 4th describe; polling once a second shows each step.
EVERY_SECOND = WaitPolicy(min_delay=1.0, max_delay=1.0, jitter=0.0)


@contextmanager
def fake_aws_environment() -> Iterator[None]:
    """Fake credentials for the duration, whatever the shell has: the demo never needs real ones."""
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    with mock.patch.dict(os.environ, fake):
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(name, None)
        yield


def table(rows: Sequence[Sequence[str]], *, header: bool = False) -> str:
    """A plain-text table, as wide as its widest cell in each column."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    lines = [
        "| "
        + " | ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=True))
        + " |"
        for row in rows
    ]
    if header:
        lines.insert(1, rule)
    return "\n".join([rule, *lines, rule])


def device_rows(
    executions: Sequence[DetectMitigationActionExecution], left_alone: Sequence[str]
) -> list[tuple[str, str, str]]:
    """Results per device: quarantined, FAILED with AWS's error code and message, or left alone."""
    rows = [("Thing", "Result", "Why")]
    for execution in sorted(executions, key=lambda e: e.thing_name or ""):
        if execution.status == DetectMitigationActionExecutionStatus.FAILED:
            rows.append(
                (
                    execution.thing_name or "?",
                    "FAILED",
                    f"{execution.error_code}: {execution.message}",
                )
            )
        else:
            rows.append((execution.thing_name or "?", "quarantined", "-"))
    rows += [(thing, "left alone", "violated outside the window") for thing in left_alone]
    return rows


def summary_rows(summary: DetectMitigationActionsTaskSummary) -> list[tuple[str, str]]:
    stats = summary.task_statistics
    target = summary.target
    window = summary.violation_event_occurrence_range
    started, ended = summary.task_start_time, summary.task_end_time
    return [
        ("Task", summary.task_id or "?"),
        ("Status", str(summary.task_status)),
        ("Security profile", (target and target.security_profile_name) or "-"),
        ("Behavior", (target and target.behavior_name) or "-"),
        (
            "Violations between",
            f"{window.start_time:%Y-%m-%d %H:%M:%S} and {window.end_time:%Y-%m-%d %H:%M:%S} UTC"
            if window
            else "any time",
        ),
        ("Actions", ", ".join(a.name or "?" for a in summary.actions_definition or [])),
        ("Started", f"{started:%H:%M:%S} UTC" if started else "?"),
        ("Took", f"{(ended - started).total_seconds():.1f} s" if started and ended else "?"),
        ("Executed", str(stats.actions_executed)),
        ("Skipped", str(stats.actions_skipped)),
        ("Failed", str(stats.actions_failed)),
    ]


def progress_printer(
    total: int, out: TextIO, clock: Callable[[], float]
) -> Callable[[DetectMitigationActionsTaskSummary], None]:
    """An ``on_update`` callback for the latest progress: on a terminal it redraws one line; on
    anything else (a log, a pipe, CI) it writes one plain line per update, with no ``\\r``."""
    began = clock()
    redraw = out.isatty()

    def show(summary: DetectMitigationActionsTaskSummary) -> None:
        stats = summary.task_statistics
        line = (
            f"[{summary.task_status}] executed {stats.actions_executed or 0}/{total}, "
            f"skipped {stats.actions_skipped or 0}, failed {stats.actions_failed or 0}"
            f"  ({clock() - began:.0f} s)"
        )
        out.write(f"\r{line:<64}" if redraw else f"{line}\n")
        out.flush()

    return show


def end_progress_line(out: TextIO) -> None:
    """After a redrawn progress line, move below it; plain lines already ended."""
    if out.isatty():
        out.write("\n")


def run(*, fail: Sequence[str], sleep: Callable[[float], None], out: TextIO) -> int:
    """The demo's story, step by step; 0 when every recent violator was quarantined, except the
    ones whose failure was injected, which the results show with their error."""
    with mock_detect_mitigation(region_name=REGION) as emulator:
        # 1. What an operator sets up once: a quarantine group and an action that fills it.
        iot = boto3.client("iot", region_name=REGION)
        iot.create_thing_group(thingGroupName=GROUP)
        iot.create_mitigation_action(
            actionName=ACTION,
            roleArn=ROLE,
            actionParams={"addThingsToThingGroupParams": {"thingGroupNames": [GROUP]}},
        )
        now = datetime.now(UTC)
        # 2. What ML Detect would have found: recent violations, and one from two days ago.
        for n, thing in enumerate([*VIOLATORS, OLD_VIOLATOR]):
            iot.create_thing(thingName=thing)
            emulator.add_violation(
                f"violation-{n:04d}",
                thing_name=thing,
                security_profile_name=PROFILE,
                behavior_name=BEHAVIOR,
                at=now - (timedelta(days=2) if thing == OLD_VIOLATOR else timedelta(minutes=7 * n)),
            )
        emulator.set_task_duration(describes=4)
        if fail:
            emulator.fail_executions(
                thing_names=fail, error_code=FAILURE_CODE, message=FAILURE_MESSAGE
            )
        out.write(
            f"Seeded {len(VIOLATORS) + 1} violations of {PROFILE}/{BEHAVIOR} "
            f"({len(VIOLATORS)} in the last hour).\n"
        )

        # 3. The job: mitigate every violation of the behavior in the last hour, and wait.
        client = DetectMitigationClient(region_name=REGION, sleep=sleep)
        task_id = client.start_task(
            task_id=f"demo-{now:%Y%m%dT%H%M%S}",
            target=DetectMitigationActionsTaskTarget(
                security_profile_name=PROFILE, behavior_name=BEHAVIOR
            ),
            actions=[ACTION],
            violation_event_occurrence_range=ViolationEventOccurrenceRange(
                start_time=now - timedelta(hours=1), end_time=now
            ),
        )
        out.write(f"Started task {task_id}.\n")
        try:
            summary = client.wait_for_completion(
                task_id,
                timeout=30,
                wait_policy=EVERY_SECOND,
                on_update=progress_printer(len(VIOLATORS), out, time.monotonic),
            )
            failed: tuple[DetectMitigationActionExecution, ...] = ()
        except TaskFailedError as error:
            # A failed task says which devices were not mitigated, and why.
            assert error.summary is not None
            summary, failed = error.summary, error.failed_executions or ()
        except WaitError as error:
            end_progress_line(out)
            out.write(f"FAILED: {error}\n")
            return 1
        end_progress_line(out)
        out.write(table(summary_rows(summary)) + "\n")

        # 4. The results per device, from the task's executions.
        executions = list(client.list_executions(task_id=task_id))
        out.write(table(device_rows(executions, [OLD_VIOLATOR]), header=True) + "\n")

        # 5. The proof: the quarantine holds the recent violators whose mitigation did not fail.
        quarantined = sorted(iot.list_things_in_thing_group(thingGroupName=GROUP)["things"])
        expected = sorted(set(VIOLATORS) - set(fail))
        out.write(f"Things in thing group {GROUP!r}: {', '.join(quarantined) or '(none)'}\n")
        if quarantined != expected or sorted(e.thing_name or "" for e in failed) != sorted(fail):
            out.write(f"FAILED: expected {', '.join(expected) or 'nothing'} in quarantine\n")
            return 1
        if failed:
            out.write(f"Not mitigated, as injected: {', '.join(sorted(fail))}.\n")
        out.write(f"OK: {OLD_VIOLATOR} violated outside the window and was left alone.\n")
        return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO = sys.stdout,
) -> int:
    """Run the demo and return its exit status; ``sleep`` lets a test skip the waiting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--fail",
        action="append",
        metavar="THING",
        help=f"make THING's mitigation fail (repeatable; default {INJECTED_FAILURE})",
    )
    parser.add_argument("--no-fail", action="store_true", help="inject no failure")
    args = parser.parse_args(argv)
    fail = [] if args.no_fail else (args.fail or [INJECTED_FAILURE])
    with fake_aws_environment():
        try:
            return run(fail=fail, sleep=sleep, out=out)
        except DetectMitigationError as error:
            out.write(f"\nFAILED: {error!r}\n")
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
