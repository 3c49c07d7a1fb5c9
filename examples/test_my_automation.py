"""Testing your own automation with the ``detect_mitigation_emulator`` pytest fixture.

Installing ``iot-detect-mitigation[testing]`` registers the fixture with pytest: nothing to import
or configure. Inside a test that uses it, every boto3 call goes to moto plus the emulator, with
fake credentials, so a test cannot reach AWS.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from iot_detect_mitigation import (
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    LimitExceededError,
    TaskFailedError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator


# Your automation; in your project it lives in your package and the test imports it.
def quarantine(
    client: DetectMitigationClient, incident: str, violation_ids: list[str]
) -> DetectMitigationActionsTaskSummary:
    task_id = client.start_task(
        task_id=f"incident-{incident}",
        target=DetectMitigationActionsTaskTarget(violation_ids=violation_ids),
        actions=["quarantine"],
    )
    return client.wait_for_completion(task_id, timeout=300)


@pytest.fixture
def iot(detect_mitigation_emulator: DetectMitigationEmulator) -> Any:
    """What your account holds: a quarantine group, the action that fills it, two violators."""
    iot = boto3.client("iot", region_name="us-east-1")
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn="arn:aws:iam::123456789012:role/mitigation",
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    for thing in ("pump-1", "pump-2"):
        iot.create_thing(thingName=thing)
        # moto has no detection engine: seed the violations ML Detect would have raised.
        detect_mitigation_emulator.add_violation(
            f"violation-{thing}",
            thing_name=thing,
            security_profile_name="pumps-ml",
            behavior_name="authorization-failures",
        )
    return iot


@pytest.fixture
def client() -> DetectMitigationClient:
    # No real sleeping: the emulated task moves on with each describe, not with time.
    return DetectMitigationClient(region_name="us-east-1", sleep=lambda seconds: None)


def test_quarantines_the_violating_things(iot: Any, client: DetectMitigationClient) -> None:
    summary = quarantine(client, "42", ["violation-pump-1", "violation-pump-2"])

    assert summary.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert summary.task_statistics.actions_executed == 2
    things = iot.list_things_in_thing_group(thingGroupName="quarantine")["things"]
    assert sorted(things) == ["pump-1", "pump-2"]


def test_rides_out_throttling(
    iot: Any, client: DetectMitigationClient, detect_mitigation_emulator: DetectMitigationEmulator
) -> None:
    detect_mitigation_emulator.inject_fault(
        "StartDetectMitigationActionsTask", "ThrottlingException", count=2
    )
    detect_mitigation_emulator.set_task_duration(describes=5)

    summary = quarantine(client, "43", ["violation-pump-1"])

    assert summary.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert list(detect_mitigation_emulator.tasks) == ["incident-43"]  # one task, not three


def test_a_failed_mitigation_is_reported(
    iot: Any, client: DetectMitigationClient, detect_mitigation_emulator: DetectMitigationEmulator
) -> None:
    detect_mitigation_emulator.fail_executions(thing_names=["pump-2"])

    with pytest.raises(TaskFailedError) as failed:
        quarantine(client, "44", ["violation-pump-1", "violation-pump-2"])

    assert failed.value.summary is not None
    assert failed.value.summary.task_statistics.actions_failed == 1


def test_the_concurrent_task_quota_is_not_retried(
    iot: Any, client: DetectMitigationClient, detect_mitigation_emulator: DetectMitigationEmulator
) -> None:
    detect_mitigation_emulator.set_concurrent_task_quota(0)

    with pytest.raises(LimitExceededError) as refused:
        quarantine(client, "45", ["violation-pump-1"])

    assert refused.value.attempts == 1
