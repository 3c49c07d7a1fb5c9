"""Polling cost of waiting schedules, simulated on a fake clock through the real waiter.

For each task duration it reports the mean number of describe calls and the mean detection
latency (from the task's completion to the poll that sees it), for the default ``WaitPolicy``,
fixed 5 s polling, and the AWS SDK (Smithy) waiter schedule. Nothing sleeps.

Run: ``python benchmarks/polling.py`` (part of ``make bench``).
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from botocore.hooks import HierarchicalEmitter

from iot_detect_mitigation import DetectMitigationClient, WaitPolicy

DURATIONS = (5.0, 60.0, 600.0, 3600.0)

# The goal for the default policy: duration -> (max mean describes, max mean latency in s).
GOALS = {5.0: (4.0, 2.5), 600.0: (30.0, 20.0), 3600.0: (150.0, 20.0)}


class SmithyWaiterPolicy(WaitPolicy):
    """The AWS SDK waiter schedule: random(min, min(max, min * 2 ** (attempt - 1)))."""

    def delay(self, poll_number: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.min_delay * 2 ** (poll_number - 1))
        return rng.uniform(self.min_delay, ceiling)


SCHEDULES: dict[str, WaitPolicy] = {
    "default WaitPolicy": WaitPolicy(),
    "fixed 5 s": WaitPolicy(min_delay=5, max_delay=5, growth=1, jitter=0),
    "Smithy 2-120 s": SmithyWaiterPolicy(min_delay=2, max_delay=120),
}


@dataclass(frozen=True)
class Cost:
    describes: float
    latency: float
    min_gap: float


class SimulatedTask:
    """A task that ends at ``ends_at`` on a clock that only moves when the waiter sleeps.

    It stands in for the boto3 ``iot`` client, so the waiter runs exactly as users call it.
    """

    def __init__(self, ends_at: float) -> None:
        self.ends_at = ends_at
        self.now = 0.0
        self.polls: list[float] = []
        self.meta = SimpleNamespace(
            region_name="simulated", endpoint_url=None, events=HierarchicalEmitter()
        )

    def describe_detect_mitigation_actions_task(self, taskId: str) -> dict[str, Any]:
        self.polls.append(self.now)
        status = "SUCCESSFUL" if self.now >= self.ends_at else "IN_PROGRESS"
        return {"taskSummary": {"taskId": taskId, "taskStatus": status}}

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def measure(policy: WaitPolicy, duration: float, trials: int = 200, seed: int = 0) -> Cost:
    """Mean describes and detection latency of waiting for a task of about ``duration`` seconds.

    Each trial's task ends at a random point within 10% of ``duration``, so that its end is not
    in step with any schedule.
    """
    rng = random.Random(seed)
    calls: list[int] = []
    latencies: list[float] = []
    gaps: list[float] = []
    for _ in range(trials):
        task = SimulatedTask(ends_at=duration * rng.uniform(0.9, 1.1))
        client = DetectMitigationClient(
            cast(Any, task), sleep=task.sleep, clock=task.clock, rng=rng
        )
        client.wait_for_completion("task", timeout=duration * 10 + 600, wait_policy=policy)
        calls.append(len(task.polls))
        latencies.append(task.polls[-1] - task.ends_at)
        gaps.extend(b - a for a, b in itertools.pairwise(task.polls))
    return Cost(statistics.fmean(calls), statistics.fmean(latencies), min(gaps, default=0.0))


def main() -> None:
    rows = {
        name: {duration: measure(policy, duration) for duration in DURATIONS}
        for name, policy in SCHEDULES.items()
    }
    header = "| schedule | " + " | ".join(f"{d:g} s task" for d in DURATIONS) + " |"
    print(header)
    print("|" + "---|" * (len(DURATIONS) + 1))
    for name, costs in rows.items():
        cells = " | ".join(f"{c.describes:.1f} / {c.latency:.1f} s" for c in costs.values())
        print(f"| {name} | {cells} |")
    print("(cells: mean describe calls / mean detection latency)")
    print(
        json.dumps(
            {
                "polling": {
                    name: {
                        f"{d:g}": [round(c.describes, 1), round(c.latency, 2)]
                        for d, c in costs.items()
                    }
                    for name, costs in rows.items()
                }
            }
        )
    )


if __name__ == "__main__":
    main()
