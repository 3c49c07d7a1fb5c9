"""Each emulated operation answers in AWS wire format: botocore parses it, locally and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_iot import IoTClient
from mypy_boto3_iot.type_defs import MitigationActionParamsTypeDef

from iot_detect_mitigation.testing import (
    DetectMitigationEmulator,
    EmulatorServer,
    mock_detect_mitigation,
)

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/mitigation"
QUARANTINE: MitigationActionParamsTypeDef = {
    "addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}
}


@dataclass
class Harness:
    emulator: DetectMitigationEmulator
    iot: IoTClient


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture(params=["in-process", "server"])
def harness(request: pytest.FixtureRequest, server: EmulatorServer) -> Iterator[Harness]:
    config = Config(retries={"total_max_attempts": 1})
    if request.param == "in-process":
        with mock_detect_mitigation(region_name=REGION) as emulator:
            yield Harness(emulator, boto3.client("iot", region_name=REGION, config=config))
        return
    server.reset()
    iot = boto3.client("iot", region_name=REGION, endpoint_url=server.endpoint_url, config=config)
    yield Harness(server.emulator(REGION), iot)
    server.reset()


def _seed(h: Harness) -> None:
    h.iot.create_thing(thingName="cam-1")
    h.iot.create_thing_group(thingGroupName="quarantine")
    h.iot.create_mitigation_action(actionName="quarantine", roleArn=ROLE, actionParams=QUARANTINE)
    h.emulator.add_violation(
        "v-1", thing_name="cam-1", security_profile_name="cams", behavior_name="bytes-out"
    )


def _start(h: Harness, task_id: str = "task-1") -> None:
    h.iot.start_detect_mitigation_actions_task(
        taskId=task_id,
        target={"securityProfileName": "cams"},
        actions=["quarantine"],
        violationEventOccurrenceRange={
            "startTime": datetime.now(UTC) - timedelta(days=1),
            "endTime": datetime.now(UTC) + timedelta(days=1),
        },
        includeOnlyActiveViolations=True,
        includeSuppressedAlerts=False,
        clientRequestToken=f"token-{task_id}",
    )


def test_create_mitigation_action(harness: Harness) -> None:
    created = harness.iot.create_mitigation_action(
        actionName="quarantine", roleArn=ROLE, actionParams=QUARANTINE
    )
    assert created["actionArn"] == (
        f"arn:aws:iot:{REGION}:123456789012:mitigationaction/quarantine"
    )
    assert len(created["actionId"]) == 36


def test_describe_mitigation_action(harness: Harness) -> None:
    _seed(harness)
    described = harness.iot.describe_mitigation_action(actionName="quarantine")
    assert described["actionType"] == "ADD_THINGS_TO_THING_GROUP"
    assert described["actionParams"] == QUARANTINE
    assert described["roleArn"] == ROLE
    assert isinstance(described["creationDate"], datetime)
    assert described["creationDate"].tzinfo is not None
    assert described["lastModifiedDate"] == described["creationDate"]


def test_list_mitigation_actions(harness: Harness) -> None:
    _seed(harness)
    harness.iot.create_mitigation_action(
        actionName="sns",
        roleArn=ROLE,
        actionParams={"publishFindingToSnsParams": {"topicArn": "arn:aws:sns:eu-west-1:1:t"}},
    )
    listed = harness.iot.list_mitigation_actions()["actionIdentifiers"]
    assert [a["actionName"] for a in listed] == ["quarantine", "sns"]
    assert all(isinstance(a["creationDate"], datetime) for a in listed)
    only_sns = harness.iot.list_mitigation_actions(actionType="PUBLISH_FINDING_TO_SNS")
    assert [a["actionName"] for a in only_sns["actionIdentifiers"]] == ["sns"]


def test_delete_mitigation_action(harness: Harness) -> None:
    _seed(harness)
    answer = harness.iot.delete_mitigation_action(actionName="quarantine")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert harness.iot.list_mitigation_actions()["actionIdentifiers"] == []
    # The model lists no ResourceNotFoundException for delete: deleting again succeeds.
    harness.iot.delete_mitigation_action(actionName="quarantine")


def test_start_detect_mitigation_actions_task(harness: Harness) -> None:
    _seed(harness)
    started = harness.iot.start_detect_mitigation_actions_task(
        taskId="task-1",
        target={"violationIds": ["v-1"]},
        actions=["quarantine"],
        clientRequestToken="token-1",
    )
    assert started["taskId"] == "task-1"
    assert harness.emulator.tasks["task-1"].status == "IN_PROGRESS"


def test_describe_detect_mitigation_actions_task(harness: Harness) -> None:
    _seed(harness)
    _start(harness)
    summary = harness.iot.describe_detect_mitigation_actions_task(taskId="task-1")["taskSummary"]
    assert summary["taskStatus"] == "IN_PROGRESS"
    assert isinstance(summary["taskStartTime"], datetime)
    assert "taskEndTime" not in summary
    occurrence = summary["violationEventOccurrenceRange"]
    assert isinstance(occurrence["startTime"], datetime)
    assert occurrence["startTime"] < occurrence["endTime"]
    assert summary["target"] == {"securityProfileName": "cams"}
    assert summary["onlyActiveViolationsIncluded"] is True
    assert summary["suppressedAlertsIncluded"] is False
    action = harness.iot.describe_mitigation_action(actionName="quarantine")
    assert summary["actionsDefinition"] == [
        {
            "name": "quarantine",
            "id": action["actionId"],
            "roleArn": ROLE,
            "actionParams": QUARANTINE,
        }
    ]
    done = harness.iot.describe_detect_mitigation_actions_task(taskId="task-1")["taskSummary"]
    assert done["taskStatus"] == "SUCCESSFUL"
    assert isinstance(done["taskEndTime"], datetime)
    assert done["taskEndTime"] >= done["taskStartTime"]
    assert done["taskStatistics"] == {"actionsExecuted": 1, "actionsSkipped": 0, "actionsFailed": 0}


def test_list_detect_mitigation_actions_tasks(harness: Harness) -> None:
    _seed(harness)
    _start(harness)
    now = datetime.now(UTC)
    tasks = harness.iot.list_detect_mitigation_actions_tasks(
        startTime=now - timedelta(hours=1), endTime=now + timedelta(hours=1)
    )["tasks"]
    assert [t["taskId"] for t in tasks] == ["task-1"]
    assert isinstance(tasks[0]["taskStartTime"], datetime)
    assert tasks[0]["taskStatistics"]["actionsExecuted"] == 0
    earlier = harness.iot.list_detect_mitigation_actions_tasks(
        startTime=now - timedelta(days=2), endTime=now - timedelta(days=1)
    )
    assert earlier["tasks"] == []


def test_cancel_detect_mitigation_actions_task(harness: Harness) -> None:
    _seed(harness)
    _start(harness)
    answer = harness.iot.cancel_detect_mitigation_actions_task(taskId="task-1")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    summary = harness.iot.describe_detect_mitigation_actions_task(taskId="task-1")["taskSummary"]
    assert summary["taskStatus"] == "CANCELED"
    assert summary["taskStatistics"]["actionsSkipped"] == 1


def test_list_detect_mitigation_actions_executions(harness: Harness) -> None:
    _seed(harness)
    _start(harness)
    harness.iot.describe_detect_mitigation_actions_task(taskId="task-1")
    harness.iot.describe_detect_mitigation_actions_task(taskId="task-1")
    executions = harness.iot.list_detect_mitigation_actions_executions(taskId="task-1")
    [execution] = executions["actionsExecutions"]
    assert execution["status"] == "SUCCESSFUL"
    assert (execution["violationId"], execution["thingName"]) == ("v-1", "cam-1")
    assert execution["actionName"] == "quarantine"
    assert isinstance(execution["executionStartDate"], datetime)
    assert isinstance(execution["executionEndDate"], datetime)
    assert "nextToken" not in executions


def test_errors_carry_the_model_status(harness: Harness) -> None:
    with pytest.raises(harness.iot.exceptions.ResourceNotFoundException) as missing:
        harness.iot.describe_detect_mitigation_actions_task(taskId="nope")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    harness.emulator.inject_fault("StartDetectMitigationActionsTask", "LimitExceededException")
    with pytest.raises(harness.iot.exceptions.LimitExceededException) as limited:
        _start(harness)
    assert limited.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_moto_iot_operations_still_work(harness: Harness) -> None:
    harness.iot.create_thing(thingName="plain")
    assert [t["thingName"] for t in harness.iot.list_things()["things"]] == ["plain"]
