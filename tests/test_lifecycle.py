"""The task lifecycle over real loopback HTTP: list executions and tasks, cancel, the failed
executions of a failed task, and waiting for capacity."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from iot_detect_mitigation import (
    DetectMitigationActionExecution,
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    InvalidRequestError,
    LimitExceededError,
    RetryPolicy,
    TaskCanceledError,
    TaskFailedError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer

from .fake_time import SharedTime
from .fleet import seed
from .proxy import FaultProxy

FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.002)
PROFILE = DetectMitigationActionsTaskTarget(security_profile_name="p")


@pytest.fixture
def client(proxy: tuple[FaultProxy, str]) -> DetectMitigationClient:
    return DetectMitigationClient(region_name="us-east-1", endpoint_url=proxy[1], retry_policy=FAST)


def test_list_executions_fetches_pages_as_they_are_consumed(
    iot: Any,
    emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    proxy: tuple[FaultProxy, str],
) -> None:
    seed(iot, emulator, 5)
    emulator.set_task_duration(describes=0)
    client.start_task(task_id="t-1", target=PROFILE, actions=["quarantine"])
    faults, _ = proxy
    faults.seen.clear()
    executions = client.list_executions(task_id="t-1", page_size=2)
    assert faults.seen == []  # nothing is sent before the first item is asked for
    first = next(executions)
    assert len(faults.seen) == 1
    faults.plan.append("throttle")  # a throttled page is retried, not lost
    rest = list(executions)
    assert len(faults.seen) == 1 + 1 + 2  # three pages of 2, 2 and 1, one throttled once
    everything = [first, *rest]
    assert all(isinstance(e, DetectMitigationActionExecution) for e in everything)
    assert sorted(e.thing_name or "" for e in everything) == [f"sensor-{n:04d}" for n in range(5)]
    assert {e.status for e in everything} == {DetectMitigationActionExecutionStatus.SUCCESSFUL}
    assert all(e.execution_start_date is not None for e in everything)
    narrowed = list(client.list_executions(task_id="t-1", thing_name="sensor-0003"))
    assert [e.violation_id for e in narrowed] == ["v-0003"]


def test_list_executions_by_time_range(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    seed(iot, emulator, 3)
    emulator.set_task_duration(describes=0)
    client.start_task(task_id="t-1", target=PROFILE, actions=["quarantine"])
    now = datetime.now(UTC)
    found = list(
        client.list_executions(start_time=now - timedelta(hours=1), end_time=now + timedelta(1))
    )
    assert len(found) == 3
    assert (
        list(client.list_executions(start_time=now + timedelta(1), end_time=now + timedelta(2)))
        == []
    )


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {
            "task_id": "t-1",
            "start_time": datetime(2026, 1, 1, tzinfo=UTC),
            "end_time": datetime(2026, 1, 2, tzinfo=UTC),
        },
        {"start_time": datetime(2026, 1, 1, tzinfo=UTC)},
        {"task_id": "t-1", "end_time": datetime(2026, 1, 2, tzinfo=UTC)},
        {"violation_id": "v-1"},
        {"task_id": "t-1", "page_size": 251},
        {"task_id": "t-1", "page_size": 0},
        {
            "start_time": datetime(2026, 1, 2, tzinfo=UTC),
            "end_time": datetime(2026, 1, 1, tzinfo=UTC),
        },
    ],
    ids=[
        "neither",
        "both",
        "start-only",
        "task-and-end",
        "violation-only",
        "page-251",
        "page-0",
        "reversed",
    ],
)
def test_list_executions_checks_aws_rules_before_sending(
    client: DetectMitigationClient, proxy: tuple[FaultProxy, str], arguments: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        client.list_executions(**arguments)
    assert proxy[0].seen == []


def test_list_tasks_and_cancel(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    seed(iot, emulator, 2)
    emulator.set_task_duration(seconds=3600)
    for n in range(3):
        client.start_task(task_id=f"t-{n}", target=PROFILE, actions=["quarantine"])
    client.cancel_task("t-1")
    now = datetime.now(UTC)
    tasks = list(client.list_tasks(start_time=now - timedelta(hours=1), end_time=now, page_size=1))
    assert sorted(task.task_id or "" for task in tasks) == ["t-0", "t-1", "t-2"]
    assert {task.task_id: task.task_status for task in tasks}["t-1"] == "CANCELED"
    with pytest.raises(TaskCanceledError):
        client.wait_for_completion("t-1", timeout=5)
    with pytest.raises(InvalidRequestError):
        client.cancel_task("t-1")  # it has already ended
    with pytest.raises(ValidationError):
        client.list_tasks(start_time=now, end_time=now - timedelta(seconds=1))


def test_a_failed_task_says_which_things_were_not_mitigated_and_why(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    seed(iot, emulator, 300)  # more executions than one page holds
    emulator.set_task_duration(describes=1)
    broken = {f"sensor-{n:04d}" for n in range(0, 300, 2)}
    emulator.fail_executions(thing_names=broken, error_code="Unreachable", message="gone dark")
    client.start_task(task_id="t-1", target=PROFILE, actions=["quarantine"])
    with pytest.raises(TaskFailedError) as caught:
        client.wait_for_completion("t-1", timeout=30)
    failed = caught.value.failed_executions
    assert failed is not None
    assert {e.thing_name for e in failed} == broken
    assert {(e.action_name, e.error_code, e.message) for e in failed} == {
        ("quarantine", "Unreachable", "gone dark")
    }
    assert "sensor-0000" in str(caught.value)


def _recorded_tokens(client: DetectMitigationClient) -> list[str]:
    tokens: list[str] = []

    def record(request: Any, **_: Any) -> None:
        tokens.append(json.loads(request.body)["clientRequestToken"])

    client.iot_client.meta.events.register(
        "before-send.iot.StartDetectMitigationActionsTask", record
    )
    return tokens


def test_a_start_waits_for_capacity_with_one_token(
    iot: Any, emulator: DetectMitigationEmulator, server: EmulatorServer
) -> None:
    seed(iot, emulator, 1)
    time = SharedTime(emulator)
    emulator.set_concurrent_task_quota(1)
    emulator.set_task_duration(seconds=60)
    client = DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        sleep=time.sleep,
        clock=time.clock,
    )
    client.start_task(task_id="holder", target=PROFILE, actions=["quarantine"])
    tokens = _recorded_tokens(client)
    with pytest.raises(LimitExceededError):
        client.start_task(task_id="t-1", target=PROFILE, actions=["quarantine"])
    with pytest.raises(LimitExceededError):
        client.start_task(
            task_id="t-1", target=PROFILE, actions=["quarantine"], capacity_timeout=30
        )
    assert 30 <= time.now < 31  # it waited out capacity_timeout, and then tried once more
    tokens.clear()
    started = client.start_task(
        task_id="t-1", target=PROFILE, actions=["quarantine"], capacity_timeout=120
    )
    assert started == "t-1"
    assert len(tokens) > 1 and len(set(tokens)) == 1  # every attempt sent the same token
    assert emulator.tasks["t-1"].client_request_token == tokens[0]
    assert emulator.tasks["holder"].status == "SUCCESSFUL"


@pytest.mark.parametrize("capacity_timeout", [0, -1, float("nan"), float("inf")])
def test_a_capacity_timeout_that_is_no_number_of_seconds_is_rejected(
    client: DetectMitigationClient, proxy: tuple[FaultProxy, str], capacity_timeout: float
) -> None:
    with pytest.raises(ValueError, match="capacity_timeout"):
        client.start_task(
            task_id="t", target=PROFILE, actions=["q"], capacity_timeout=capacity_timeout
        )
    assert proxy[0].seen == []


def test_one_listing_keeps_within_ten_pages_a_second(
    iot: Any, emulator: DetectMitigationEmulator, server: EmulatorServer
) -> None:
    seed(iot, emulator, 6)
    emulator.set_task_duration(describes=0)
    time = SharedTime(emulator)
    client = DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        sleep=time.sleep,
        clock=time.clock,
    )
    client.start_task(task_id="t-1", target=PROFILE, actions=["quarantine"])
    sent: list[float] = []
    client.iot_client.meta.events.register(
        "before-send.iot.ListDetectMitigationActionsExecutions", lambda **_: sent.append(time.now)
    )
    assert len(list(client.list_executions(task_id="t-1", page_size=1))) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert len(gaps) == 5 and min(gaps) == pytest.approx(0.1)
