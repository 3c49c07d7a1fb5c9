"""Waiting for a task on a fake clock: outcomes, the deadline, backoff, progress, throttling."""

from __future__ import annotations

import dataclasses
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchmarks.polling import GOALS, measure
from iot_detect_mitigation import (
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationClient,
    ResourceNotFoundError,
    RetryPolicy,
    TaskCanceledError,
    TaskFailedError,
    WaitError,
    WaitPolicy,
    WaitTimeoutError,
)

from .fake_time import FakeTime
from .wire import Wire, error


@dataclass
class Task:
    """A task on the wire whose state is a function of fake time."""

    time: FakeTime
    timeline: list[tuple[float, str, int]]  # (from time, status, actions executed)
    polls: list[float] = field(default_factory=list)

    def respond(self, _: Any) -> tuple[int, dict[str, Any]]:
        self.polls.append(self.time.now)
        status, executed = next((s, e) for t, s, e in reversed(self.timeline) if self.time.now >= t)
        return 200, {
            "taskSummary": {
                "taskId": "t-1",
                "taskStatus": status,
                "taskStatistics": {"actionsExecuted": executed, "actionsFailed": 0},
            }
        }


@pytest.fixture
def client(time: FakeTime) -> DetectMitigationClient:
    return DetectMitigationClient(
        region_name="us-east-1", sleep=time.sleep, clock=time.clock, rng=random.Random(5)
    )


def attach(client: DetectMitigationClient, task: Task) -> Wire:
    return Wire(responder=task.respond).attach(client.iot_client)


def test_success_returns_the_final_summary_and_reports_each_change(
    client: DetectMitigationClient, time: FakeTime
) -> None:
    task = Task(time, [(0, "IN_PROGRESS", 0), (2, "IN_PROGRESS", 3), (9, "SUCCESSFUL", 5)])
    attach(client, task)
    updates: list[DetectMitigationActionsTaskSummary] = []
    final = client.wait_for_completion("t-1", timeout=60, on_update=updates.append)
    assert final.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert [(u.task_status, u.task_statistics.actions_executed) for u in updates] == [
        ("IN_PROGRESS", 0),
        ("IN_PROGRESS", 3),
        ("SUCCESSFUL", 5),
    ]
    assert len(task.polls) > len(updates)  # unchanged polls are not reported
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(task.polls))


@pytest.mark.parametrize(
    ("status", "error_type"),
    [("FAILED", TaskFailedError), ("CANCELED", TaskCanceledError)],
)
def test_failed_or_canceled_raise_with_the_summary_unless_asked_not_to(
    client: DetectMitigationClient, time: FakeTime, status: str, error_type: type[WaitError]
) -> None:
    attach(client, Task(time, [(0, "IN_PROGRESS", 0), (3, status, 1)]))
    with pytest.raises(error_type) as caught:
        client.wait_for_completion("t-1", timeout=60)
    assert caught.value.summary is not None
    assert caught.value.summary.task_status == status
    final = client.wait_for_completion("t-1", timeout=60, raise_on_failure=False)
    assert final.task_status == status


def test_timeout_ends_with_a_final_poll_exactly_at_the_deadline(
    client: DetectMitigationClient, time: FakeTime
) -> None:
    task = Task(time, [(0, "IN_PROGRESS", 0)])
    attach(client, task)
    policy = WaitPolicy(jitter=0)  # delays 1, 2, 4, 8...: polls at 0, 1, 3, 7
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_completion("t-1", timeout=10, wait_policy=policy)
    assert task.polls == [0, 1, 3, 7, 10]  # the last sleep was cut to end at the deadline
    assert caught.value.elapsed == 10
    assert caught.value.summary is not None
    assert caught.value.summary.task_status == "IN_PROGRESS"


def test_a_deadline_too_close_for_another_poll_is_not_overshot(
    client: DetectMitigationClient, time: FakeTime
) -> None:
    task = Task(time, [(0, "IN_PROGRESS", 0)])
    attach(client, task)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_completion("t-1", timeout=7.5, wait_policy=WaitPolicy(jitter=0))
    assert task.polls == [0, 1, 3, 7]  # a poll at 7.5 would come within a second of the last
    assert caught.value.elapsed == 7.5


def test_a_task_that_ends_at_the_deadline_is_seen(
    client: DetectMitigationClient, time: FakeTime
) -> None:
    attach(client, Task(time, [(0, "IN_PROGRESS", 0), (10, "SUCCESSFUL", 1)]))
    final = client.wait_for_completion("t-1", timeout=10, wait_policy=WaitPolicy(jitter=0))
    assert final.task_status == "SUCCESSFUL"
    assert time.now == 10


@pytest.mark.parametrize("timeout", [0, -1.5, float("nan"), float("inf"), -float("inf")])
def test_a_timeout_that_is_no_number_of_seconds_is_a_clear_error(
    client: DetectMitigationClient, time: FakeTime, timeout: float
) -> None:
    with pytest.raises(ValueError, match="timeout must be a finite number of seconds greater than"):
        client.wait_for_completion("t-1", timeout=timeout)
    with pytest.raises(ValueError, match="timeout must be a finite number of seconds greater than"):
        client.iter_task_updates("t-1", timeout=timeout)  # raised at the call, not on next()
    assert time.sleeps == []


def test_an_unknown_status_keeps_polling(client: DetectMitigationClient, time: FakeTime) -> None:
    task = Task(time, [(0, "PAUSED", 0), (5, "SUCCESSFUL", 2)])
    attach(client, task)
    updates: list[DetectMitigationActionsTaskSummary] = []
    final = client.wait_for_completion("t-1", timeout=60, on_update=updates.append)
    assert [u.task_status for u in updates] == ["PAUSED", "SUCCESSFUL"]
    assert final.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL


def test_throttled_describes_are_absorbed(time: FakeTime) -> None:
    client = DetectMitigationClient(
        region_name="us-east-1",
        retry_policy=RetryPolicy(max_attempts=2, base_delay=0.1),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(1),
    )
    task = Task(time, [(0, "IN_PROGRESS", 0), (6, "SUCCESSFUL", 1)])
    answers = iter(
        [error("ThrottlingException")] * 3  # outlasts one describe's retries
        + [None, error("ThrottlingException"), None, None, None, None, None]
    )

    def respond(request: Any) -> Any:
        answer = next(answers)
        return answer if answer is not None else task.respond(request)

    wire = Wire(responder=respond).attach(client.iot_client)
    final = client.wait_for_completion("t-1", timeout=60)
    assert final.task_status == "SUCCESSFUL"
    assert len(wire.requests) > len(task.polls)


def test_other_errors_end_the_wait(client: DetectMitigationClient) -> None:
    Wire(script=[error("ResourceNotFoundException", 404)]).attach(client.iot_client)
    with pytest.raises(ResourceNotFoundError):
        client.wait_for_completion("t-1", timeout=60)


def test_iterator_form_yields_changes_and_ends_at_a_terminal_state(
    client: DetectMitigationClient, time: FakeTime
) -> None:
    attach(client, Task(time, [(0, "IN_PROGRESS", 0), (4, "FAILED", 1)]))
    statuses = [s.task_status for s in client.iter_task_updates("t-1", timeout=60)]
    assert statuses == ["IN_PROGRESS", "FAILED"]


def test_the_schedule_reads_as_a_plain_sequence() -> None:
    policy = WaitPolicy()
    delays = policy.delays(12, random.Random(0))
    assert len(delays) == 12
    assert all(policy.min_delay <= d <= policy.max_delay for d in delays)
    assert delays[0] == 1.0 and delays[-1] >= policy.max_delay * (1 - policy.jitter)
    assert WaitPolicy(jitter=0).delays(6) == [1, 2, 4, 8, 16, 30]
    assert policy.delays(5, random.Random(3)) == policy.delays(5, random.Random(3))


def test_the_policy_refuses_to_poll_more_than_once_a_second() -> None:
    with pytest.raises(ValueError, match="min_delay must be at least 1 second"):
        WaitPolicy(min_delay=0.5)
    with pytest.raises(ValueError, match="max_delay must be finite and not less than min_delay"):
        WaitPolicy(min_delay=10, max_delay=5)
    with pytest.raises(ValueError, match="jitter must be from 0 to 1"):
        WaitPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="growth must be a finite number of at least 1"):
        WaitPolicy(growth=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        WaitPolicy().min_delay = 3  # type: ignore[misc]  # frozen on purpose


@pytest.mark.parametrize("duration", sorted(GOALS))
def test_the_default_policy_meets_the_polling_cost_table(duration: float) -> None:
    max_calls, max_latency = GOALS[duration]
    cost = measure(WaitPolicy(), duration, trials=100, seed=11)
    assert cost.describes <= max_calls
    assert cost.latency <= max_latency
    assert cost.min_gap >= 1.0
