"""The client against the emulator: in-process (moto) and over HTTP through its server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from iot_detect_mitigation import (
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationActionsTaskTargetOutput,
    DetectMitigationClient,
    InvalidRequestError,
    LimitExceededError,
    ResourceNotFoundError,
    TaskAlreadyExistsError,
    TaskCanceledError,
    TaskFailedError,
    ThrottlingError,
    ViolationEventOccurrenceRange,
    WaitTimeoutError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer

from .fake_time import FakeTime

ROLE = "arn:aws:iam::123456789012:role/mitigation"


def seed(iot: Any, emulator: DetectMitigationEmulator, things: int = 2) -> None:
    """A quarantine group, a mitigation action that fills it, and violations of ``things``."""
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    for n in range(things):
        iot.create_thing(thingName=f"sensor-{n}")
        emulator.add_violation(
            f"v-{n}",
            thing_name=f"sensor-{n}",
            security_profile_name="temperature",
            behavior_name="too-hot",
            at=datetime.now(UTC) - timedelta(minutes=5),
        )


@pytest.fixture
def in_process(
    detect_mitigation_emulator: DetectMitigationEmulator, time: FakeTime
) -> tuple[DetectMitigationClient, Any, DetectMitigationEmulator]:
    iot = boto3.client("iot", region_name="us-east-1")
    seed(iot, detect_mitigation_emulator)
    client = DetectMitigationClient(
        region_name="us-east-1", sleep=time.sleep, clock=time.clock, rng=random.Random(2)
    )
    return client, iot, detect_mitigation_emulator


def start_on_profile(client: DetectMitigationClient, task_id: str = "task-1") -> str:
    now = datetime.now(UTC)
    return client.start_task(
        task_id=task_id,
        target=DetectMitigationActionsTaskTarget(
            security_profile_name="temperature", behavior_name="too-hot"
        ),
        actions=["quarantine"],
        violation_event_occurrence_range=ViolationEventOccurrenceRange(
            start_time=now - timedelta(hours=1), end_time=now
        ),
    )


def quarantined(iot: Any) -> list[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName="quarantine")["things"])


def test_start_describe_and_wait_quarantine_the_things(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, iot, emulator = in_process
    emulator.set_task_duration(describes=3)
    task_id = start_on_profile(client)
    first = client.describe_task(task_id)
    assert first.task_status is DetectMitigationActionsTaskStatus.IN_PROGRESS
    assert first.target == DetectMitigationActionsTaskTargetOutput(
        security_profile_name="temperature", behavior_name="too-hot"
    )
    updates: list[DetectMitigationActionsTaskSummary] = []
    final = client.wait_for_completion(task_id, timeout=60, on_update=updates.append)
    assert final.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert final.task_statistics.actions_executed == 2
    assert final.task_end_time is not None and final.task_end_time.tzinfo is UTC
    assert final.actions_definition is not None
    action = final.actions_definition[0]
    assert action.name == "quarantine" and action.role_arn == ROLE
    assert action.action_params is not None
    group_params = action.action_params.add_things_to_thing_group_params
    assert group_params is not None and group_params.thing_group_names == ["quarantine"]
    executed = [u.task_statistics.actions_executed or 0 for u in updates]
    assert executed == sorted(executed) and len(set(executed)) == len(executed) > 1
    assert quarantined(iot) == ["sensor-0", "sensor-1"]


def test_failed_executions_raise_task_failed(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, _, emulator = in_process
    emulator.fail_executions(thing_names=["sensor-1"])
    task_id = start_on_profile(client)
    with pytest.raises(TaskFailedError) as caught:
        client.wait_for_completion(task_id, timeout=60)
    assert caught.value.summary is not None
    assert caught.value.summary.task_statistics.actions_failed == 1


def test_a_canceled_task_raises_task_canceled(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, iot, emulator = in_process
    emulator.set_task_duration(describes=50)
    task_id = start_on_profile(client)

    def cancel_on_first_update(summary: DetectMitigationActionsTaskSummary) -> None:
        if summary.task_status == "IN_PROGRESS":
            iot.cancel_detect_mitigation_actions_task(taskId=task_id)

    with pytest.raises(TaskCanceledError) as caught:
        client.wait_for_completion(task_id, timeout=60, on_update=cancel_on_first_update)
    assert caught.value.summary is not None
    assert caught.value.summary.task_status is DetectMitigationActionsTaskStatus.CANCELED


def test_a_slow_task_times_out_at_the_deadline(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator], time: FakeTime
) -> None:
    client, _, emulator = in_process
    emulator.set_task_duration(describes=1000)
    task_id = start_on_profile(client)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_completion(task_id, timeout=45)
    assert caught.value.elapsed == 45 == time.now
    assert caught.value.summary is not None
    assert caught.value.summary.task_status == "IN_PROGRESS"


def test_throttled_describes_do_not_fail_the_wait(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, _, emulator = in_process
    task_id = start_on_profile(client)
    emulator.inject_fault("DescribeDetectMitigationActionsTask", "ThrottlingException", count=8)
    final = client.wait_for_completion(task_id, timeout=120)
    assert final.task_status == "SUCCESSFUL"
    assert emulator.throttled_count == 8


def test_service_errors_arrive_typed(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, _, emulator = in_process
    emulator.set_task_duration(describes=100)
    start_on_profile(client, "task-1")
    with pytest.raises(TaskAlreadyExistsError):
        start_on_profile(client, "task-1")
    with pytest.raises(InvalidRequestError):
        client.start_task(
            task_id="task-2",
            target=DetectMitigationActionsTaskTarget(violation_ids=["v-0"]),
            actions=["no-such-action"],
        )
    with pytest.raises(ResourceNotFoundError) as caught:
        client.describe_task("never-started")
    assert caught.value.status_code == 404
    for n in range(2, 6):
        start_on_profile(client, f"task-{n}")
    with pytest.raises(LimitExceededError) as limit:
        start_on_profile(client, "task-6")
    assert limit.value.attempts == 1  # a quota is never retried


def test_start_retries_injected_throttling(
    in_process: tuple[DetectMitigationClient, Any, DetectMitigationEmulator],
) -> None:
    client, _, emulator = in_process
    emulator.inject_fault("StartDetectMitigationActionsTask", "ThrottlingException", count=2)
    assert start_on_profile(client) == "task-1"
    assert list(emulator.tasks) == ["task-1"]
    emulator.inject_fault("StartDetectMitigationActionsTask", "ThrottlingException", count=99)
    with pytest.raises(ThrottlingError) as caught:
        start_on_profile(client, "task-2")
    assert caught.value.attempts == client.retry_policy.max_attempts


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


def test_over_http_through_the_server(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reset()
    emulator = server.emulator("eu-west-1")
    iot = boto3.client("iot", region_name="eu-west-1", endpoint_url=server.endpoint_url)
    seed(iot, emulator, things=3)
    time = FakeTime()
    client = DetectMitigationClient(
        region_name="eu-west-1",
        endpoint_url=server.endpoint_url,
        sleep=time.sleep,
        clock=time.clock,
    )
    task_id = client.start_task(
        task_id="over-http",
        target=DetectMitigationActionsTaskTarget(violation_ids=["v-0", "v-2"]),
        actions=["quarantine"],
    )
    final = client.wait_for_completion(task_id, timeout=60)
    assert final.task_statistics.actions_executed == 2
    assert quarantined(iot) == ["sensor-0", "sensor-2"]
    with pytest.raises(ResourceNotFoundError):
        client.describe_task("missing")
