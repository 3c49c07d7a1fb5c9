"""Wire cost of ``mitigate_violations``: the describe and list calls of one run on 300 violations,
next to what its waits need.

Each run goes to the in-process emulator with AWS's default quota of 5 tasks in progress, and
every task lasts ``duration`` seconds of a simulated clock, so nothing sleeps. 300 violations make
12 tasks, at most 5 running at once. The run's calls are the emulator's ``call_counts``. Two
references, both for the same 12 tasks:

- **one wait per task:** the describes that ``wait_for_completion`` with the same ``WaitPolicy``
  makes for a task of that duration (the real waiter on a simulated task, as ``polling.py`` runs
  it), plus the one list call per task that reads its executions;
- **least possible:** one describe per task, the one that sees it end, and one list call per task
  (a page holds 250 executions; these tasks have 25 each).

Run: ``python -m benchmarks.incident`` (part of ``make bench``); moto's mock supplies fake keys.
"""

from __future__ import annotations

import json
import os
import random
import statistics
from dataclasses import dataclass
from typing import Any, cast

import boto3

from benchmarks.polling import SimulatedTask
from iot_detect_mitigation import DetectMitigationClient, WaitPolicy
from iot_detect_mitigation.testing import mock_detect_mitigation
from tests.fake_time import SharedTime
from tests.fleet import quarantine_action, seed

VIOLATIONS = 300
DURATIONS = (5.0, 60.0, 600.0)
TRIALS = int(os.environ.get("BENCH_INCIDENT_TRIALS", "5"))

_DESCRIBE = "DescribeDetectMitigationActionsTask"
_LIST = "ListDetectMitigationActionsExecutions"
_START = "StartDetectMitigationActionsTask"


@dataclass(frozen=True)
class Run:
    tasks: int
    starts: int
    describes: int
    lists: int
    seconds: float
    """Simulated seconds from the call to its answer."""


def mitigate(duration: float, trial: int) -> Run:
    """One ``mitigate_violations`` call on ``VIOLATIONS`` violations; the calls it made."""
    with mock_detect_mitigation() as emulator:
        iot = boto3.client("iot")
        quarantine_action(iot)
        ids = seed(iot, emulator, VIOLATIONS)
        emulator.set_task_duration(seconds=duration)
        time = SharedTime(emulator)
        client = DetectMitigationClient(
            region_name="us-east-1", sleep=time.sleep, clock=time.clock, rng=random.Random(trial)
        )
        before = dict(emulator.call_counts)
        result = client.mitigate_violations(
            ids, actions=["quarantine"], task_id_prefix="bench", timeout=duration * 20 + 600
        )
        assert result.succeeded and len(result.executions) == VIOLATIONS
        calls = {name: count - before.get(name, 0) for name, count in emulator.call_counts.items()}
        return Run(
            tasks=len(result.tasks),
            starts=calls.get(_START, 0),
            describes=calls.get(_DESCRIBE, 0),
            lists=calls.get(_LIST, 0),
            seconds=time.now,
        )


def one_wait_per_task(duration: float, tasks: int, trial: int) -> int:
    """Describes of ``tasks`` separate ``wait_for_completion`` calls, each on a task of
    ``duration`` seconds, with the default ``WaitPolicy``."""
    rng = random.Random(trial)
    describes = 0
    for _ in range(tasks):
        task = SimulatedTask(ends_at=duration)
        client = DetectMitigationClient(
            cast(Any, task), sleep=task.sleep, clock=task.clock, rng=rng
        )
        client.wait_for_completion("task", timeout=duration * 10 + 600, wait_policy=WaitPolicy())
        describes += len(task.polls)
    return describes


def main() -> None:
    rows: dict[str, dict[str, float]] = {}
    for duration in DURATIONS:
        runs = [mitigate(duration, trial) for trial in range(TRIALS)]
        tasks = runs[0].tasks
        waits = [one_wait_per_task(duration, tasks, trial) for trial in range(TRIALS)]
        rows[f"{duration:g}"] = {
            "tasks": tasks,
            "starts": statistics.fmean(run.starts for run in runs),
            "describes": statistics.fmean(run.describes for run in runs),
            "lists": statistics.fmean(run.lists for run in runs),
            "seconds": statistics.fmean(run.seconds for run in runs),
            "one_wait_per_task": statistics.fmean(waits) + tasks,
            "least": 2 * tasks,
        }
    print(
        f"mitigate_violations on {VIOLATIONS} violations, quota 5, default WaitPolicy,"
        f" mean of {TRIALS} runs"
    )
    print(
        "| task duration | tasks | starts | describes | list calls | describes + lists |"
        " one wait per task | least possible | run took |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| {name} s | {row['tasks']:.0f} | {row['starts']:.1f} | {row['describes']:.1f}"
            f" | {row['lists']:.1f} | {row['describes'] + row['lists']:.1f}"
            f" | {row['one_wait_per_task']:.1f} | {row['least']:.0f} | {row['seconds']:.0f} s |"
        )
    print(json.dumps({"incident": rows}))


if __name__ == "__main__":
    main()
