"""The ways to run the emulator, and its controls: the snippets of docs/testing.md, as tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from iot_detect_mitigation import (
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    InternalFailureError,
    LimitExceededError,
    RetryPolicy,
    ThrottlingError,
    WaitTimeoutError,
)
from iot_detect_mitigation.testing import (
    DetectMitigationEmulator,
    EmulatorServer,
    ManualClock,
    mock_detect_mitigation,
)


# snippet-start: helpers
def no_sleep(seconds: float) -> None:
    """Emulated tasks move on with each describe, not with time: tests need not wait."""


def create_quarantine(iot: Any) -> None:
    """A thing, a group to quarantine it in, and an action that does it."""
    iot.create_thing(thingName="pump-1")
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn="arn:aws:iam::123456789012:role/mitigation",
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )


def start(client: DetectMitigationClient, task_id: str = "task-1") -> str:
    return client.start_task(
        task_id=task_id,
        target=DetectMitigationActionsTaskTarget(violation_ids=["violation-1"]),
        actions=["quarantine"],
    )


# snippet-end: helpers


def test_in_process_with_a_context_manager() -> None:
    # snippet-start: context_manager
    with mock_detect_mitigation(region_name="us-east-1") as emulator:
        iot = boto3.client("iot", region_name="us-east-1")  # moto answers, fake credentials
        create_quarantine(iot)
        emulator.add_violation(
            "violation-1",
            thing_name="pump-1",
            security_profile_name="pumps-ml",
            behavior_name="authorization-failures",
            at=datetime.now(UTC) - timedelta(minutes=5),  # default: the emulator clock's now
        )
        client = DetectMitigationClient(region_name="us-east-1", sleep=no_sleep)
        client.wait_for_completion(start(client))
        assert iot.list_things_in_thing_group(thingGroupName="quarantine")["things"] == ["pump-1"]
    # snippet-end: context_manager


# snippet-start: decorator
@mock_detect_mitigation(region_name="us-east-1")
def test_in_process_with_a_decorator() -> None:
    emulator = DetectMitigationEmulator.for_region("us-east-1")
    create_quarantine(boto3.client("iot", region_name="us-east-1"))
    emulator.add_violation(
        "violation-1", thing_name="pump-1", security_profile_name="p", behavior_name="b"
    )
    client = DetectMitigationClient(region_name="us-east-1", sleep=no_sleep)
    start(client)
    assert list(emulator.tasks) == ["task-1"]
    # snippet-end: decorator


# snippet-start: server
@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as running:  # port 0: any free port
        yield running


def test_over_http(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")  # never send real keys, even to localhost
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    server.reset()  # state lives in this process and outlives each test
    emulator = server.emulator("eu-west-1")
    iot = boto3.client("iot", region_name="eu-west-1", endpoint_url=server.endpoint_url)
    create_quarantine(iot)
    emulator.add_violation(
        "violation-1", thing_name="pump-1", security_profile_name="p", behavior_name="b"
    )
    client = DetectMitigationClient(
        region_name="eu-west-1", endpoint_url=server.endpoint_url, sleep=no_sleep
    )
    assert client.wait_for_completion(start(client)).task_status == "SUCCESSFUL"
    # snippet-end: server


@pytest.fixture
def emulator(detect_mitigation_emulator: DetectMitigationEmulator) -> DetectMitigationEmulator:
    create_quarantine(boto3.client("iot", region_name="us-east-1"))
    detect_mitigation_emulator.add_violation(
        "violation-1", thing_name="pump-1", security_profile_name="p", behavior_name="b"
    )
    return detect_mitigation_emulator


def test_seeding_violations(detect_mitigation_emulator: DetectMitigationEmulator) -> None:
    emulator = detect_mitigation_emulator
    # snippet-start: seed
    emulator.add_violation(
        "violation-1",  # [a-zA-Z0-9-], 1 to 128 characters
        thing_name="pump-1",  # create the thing too, or the execution FAILS
        security_profile_name="pumps-ml",
        behavior_name="authorization-failures",
        at=datetime.now(UTC) - timedelta(minutes=5),  # default: the emulator clock's now
        active=True,  # for include_only_active_violations
        suppressed=False,  # suppressed violations need include_suppressed_alerts
    )
    # snippet-end: seed
    (violation,) = emulator.violations.values()
    assert (violation.thing_name, violation.active, violation.suppressed) == ("pump-1", True, False)


def test_faults(emulator: DetectMitigationEmulator) -> None:
    client = DetectMitigationClient(region_name="us-east-1", sleep=no_sleep)
    # snippet-start: faults
    # The next 2 starts answer ThrottlingException (HTTP 400, as AWS does); the 3rd succeeds.
    emulator.inject_fault("StartDetectMitigationActionsTask", "ThrottlingException", count=2)
    start(client, "task-1")
    assert emulator.call_counts["StartDetectMitigationActionsTask"] == 3
    assert emulator.throttled_count == 2

    emulator.inject_fault("DescribeDetectMitigationActionsTask", "InternalFailureException", 9)
    strict = DetectMitigationClient(retry_policy=RetryPolicy(max_attempts=2), sleep=no_sleep)
    with pytest.raises(InternalFailureError):
        strict.describe_task("task-1")
    emulator.clear_faults()
    # snippet-end: faults


def test_rate_limit(emulator: DetectMitigationEmulator) -> None:
    client = DetectMitigationClient(retry_policy=RetryPolicy(max_attempts=1), sleep=no_sleep)
    start(client)
    # snippet-start: rate_limit
    emulator.set_rate_limit(10)  # AWS's 10 requests per second per operation
    with pytest.raises(ThrottlingError):
        for _ in range(11):
            client.describe_task("task-1")
    emulator.set_rate_limit(None)  # the default: no limit
    # snippet-end: rate_limit


def test_task_outcomes(emulator: DetectMitigationEmulator) -> None:
    client = DetectMitigationClient(sleep=no_sleep)
    # snippet-start: outcomes
    emulator.set_task_duration(describes=4)  # tasks started from now on end on the 4th describe
    emulator.fail_executions(thing_names=["pump-1"])  # their executions FAIL, so the task does
    emulator.set_concurrent_task_quota(1)  # AWS's default is 5
    start(client, "task-1")
    with pytest.raises(LimitExceededError):
        start(client, "task-2")
    assert client.wait_for_completion("task-1", raise_on_failure=False).task_status == "FAILED"
    # snippet-end: outcomes
    assert emulator.executions("task-1")[0].status == "FAILED"


def test_a_manual_clock(emulator: DetectMitigationEmulator) -> None:
    client = DetectMitigationClient(sleep=no_sleep)
    # snippet-start: clock
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    emulator.set_clock(clock)  # task times, durations in seconds and the rate limit follow it
    emulator.set_task_duration(seconds=300)
    start(client)
    assert client.describe_task("task-1").task_status == "IN_PROGRESS"
    clock.advance(minutes=5)
    assert client.describe_task("task-1").task_status == "SUCCESSFUL"
    # snippet-end: clock


def test_a_wait_that_times_out(emulator: DetectMitigationEmulator) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = DetectMitigationClient(sleep=sleep, clock=lambda: now[0])
    emulator.set_task_duration(describes=1000)
    start(client)
    with pytest.raises(WaitTimeoutError) as timed_out:
        client.wait_for_completion("task-1", timeout=120)
    assert timed_out.value.elapsed == 120
