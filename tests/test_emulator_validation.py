"""The emulator rejects what AWS documents as invalid with InvalidRequestException (HTTP 400).

Cases come from walking botocore's service model, so every length, size, pattern, enum and
range constraint of each operation's input is broken once from a valid baseline.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ListShape, Shape, StructureShape
from mypy_boto3_iot import IoTClient

from iot_detect_mitigation.testing import DetectMitigationEmulator

ROLE = "arn:aws:iam::123456789012:role/mitigation"
MODEL = botocore.session.get_session().get_service_model("iot")
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 2, 1, tzinfo=UTC)

BASELINES: dict[str, list[dict[str, Any]]] = {
    "CreateMitigationAction": [
        {
            "actionName": "new-action",
            "roleArn": ROLE,
            "actionParams": params,
            "tags": [{"Key": "team", "Value": "iot"}],
        }
        for params in (
            {"addThingsToThingGroupParams": {"thingGroupNames": ["g1"]}},
            {"updateDeviceCertificateParams": {"action": "DEACTIVATE"}},
            {"updateCACertificateParams": {"action": "DEACTIVATE"}},
            {"replaceDefaultPolicyVersionParams": {"templateName": "BLANK_POLICY"}},
            {"enableIoTLoggingParams": {"roleArnForLogging": ROLE, "logLevel": "WARN"}},
            {"publishFindingToSnsParams": {"topicArn": "arn:aws:sns:us-east-1:1:t"}},
        )
    ],
    "DescribeMitigationAction": [{"actionName": "quarantine"}],
    "ListMitigationActions": [
        {"actionType": "ADD_THINGS_TO_THING_GROUP", "maxResults": 10, "nextToken": "x"}
    ],
    "DeleteMitigationAction": [{"actionName": "quarantine"}],
    "StartDetectMitigationActionsTask": [
        {
            "taskId": "fresh-task",
            "target": {"violationIds": ["v-1"]},
            "actions": ["quarantine"],
            "violationEventOccurrenceRange": {"startTime": START, "endTime": END},
            "includeOnlyActiveViolations": True,
            "includeSuppressedAlerts": True,
            "clientRequestToken": "fresh-token",
        },
        {
            "taskId": "fresh-task",
            "target": {"securityProfileName": "profile:1", "behaviorName": "bytes_out"},
            "actions": ["quarantine"],
            "clientRequestToken": "fresh-token",
        },
    ],
    "DescribeDetectMitigationActionsTask": [{"taskId": "task-1"}],
    "ListDetectMitigationActionsTasks": [{"startTime": START, "endTime": END, "maxResults": 5}],
    "CancelDetectMitigationActionsTask": [{"taskId": "task-1"}],
    "ListDetectMitigationActionsExecutions": [
        {"taskId": "task-1", "violationId": "v-1", "thingName": "cam-1", "maxResults": 5},
        {
            "violationId": "v-1",
            "thingName": "cam-1",
            "startTime": START,
            "endTime": END,
            "maxResults": 5,
        },
    ],
}


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:  # \p{L} in tag keys: Python's re cannot check it, nor does the emulator
        return False
    return True


def _string_cases(shape: Shape, value: str) -> Iterator[tuple[str, Any]]:
    meta = shape.metadata
    if meta.get("min"):  # in a URI too: an empty segment must not route to another operation
        yield "too short", value[: meta["min"] - 1]
    if "max" in meta:
        yield "too long", (value * (meta["max"] // max(len(value), 1) + 2))[: meta["max"] + 1]
    if "enum" in meta:
        yield "not in enum", value + "X"
    elif "pattern" in meta and _compiles(meta["pattern"]):
        # A valid prefix then one bad character: only a whole-value match rejects it.
        yield "pattern", value + "!"


def _cases(shape: Shape, value: Any) -> Iterator[tuple[str, Any]]:
    """Yield (label, value) pairs, each breaking one constraint of `shape` on `value`."""
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name not in value:
                continue
            token = member.metadata.get("idempotencyToken")
            uri = member.serialization.get("location") == "uri"
            if name in shape.required_members and not uri and not token:
                yield f"{name} missing", {k: v for k, v in value.items() if k != name}
            for label, bad in _cases(member, value[name]):
                yield f"{name} {label}", {**value, name: bad}
    elif isinstance(shape, ListShape):
        if meta.get("min"):
            yield "empty list", []
        if "max" in meta:
            yield "too many", [value[0]] * (meta["max"] + 1)
        for label, bad in _cases(shape.member, value[0]):
            yield f"item {label}", [bad, *value[1:]]
    elif shape.type_name == "string":
        yield from _string_cases(shape, value)
    elif shape.type_name == "integer":
        if "min" in meta:
            yield "below min", meta["min"] - 1
        if "max" in meta:
            yield "above max", meta["max"] + 1


def _all_cases() -> Iterator[Any]:
    for operation, baselines in BASELINES.items():
        input_shape = MODEL.operation_model(operation).input_shape
        assert input_shape is not None
        for number, baseline in enumerate(baselines):
            for label, params in _cases(input_shape, baseline):
                yield pytest.param(operation, params, id=f"{operation}[{number}] {label}")


CASES = list(_all_cases())


@pytest.fixture(scope="module")
def unvalidated_client() -> IoTClient:
    """A client that sends invalid input on: no client-side validation, no retries.

    Made once: moto intercepts clients made before its mock starts, and making one costs 0.1 s.
    """
    return boto3.session.Session().client(
        "iot",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def raw_iot(
    detect_mitigation_emulator: DetectMitigationEmulator, unvalidated_client: IoTClient
) -> IoTClient:
    """The client, with a thing, an action, a violation and a task in place."""
    iot = unvalidated_client
    iot.create_thing(thingName="cam-1")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["g1"]}},
    )
    detect_mitigation_emulator.add_violation(
        "v-1", thing_name="cam-1", security_profile_name="profile:1", behavior_name="bytes_out"
    )
    detect_mitigation_emulator.set_concurrent_task_quota(100)
    iot.start_detect_mitigation_actions_task(
        taskId="task-1",
        target={"violationIds": ["v-1"]},
        actions=["quarantine"],
        clientRequestToken="token-1",
    )
    return iot


def _call(iot: IoTClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    method = getattr(iot, botocore.xform_name(operation))
    result: dict[str, Any] = method(**copy.deepcopy(params))
    return result


def test_the_walk_covers_the_documented_constraints() -> None:
    labels = {case.id for case in CASES}
    assert len(CASES) > 60
    for expected in (
        "StartDetectMitigationActionsTask[0] taskId pattern",
        "StartDetectMitigationActionsTask[0] taskId too long",
        "StartDetectMitigationActionsTask[0] target violationIds too many",
        "StartDetectMitigationActionsTask[0] target violationIds item pattern",
        "StartDetectMitigationActionsTask[0] actions empty list",
        "StartDetectMitigationActionsTask[0] actions too many",
        "StartDetectMitigationActionsTask[0] clientRequestToken too long",
        "StartDetectMitigationActionsTask[1] target behaviorName pattern",
        "StartDetectMitigationActionsTask[0] violationEventOccurrenceRange startTime missing",
        "CreateMitigationAction[0] roleArn too short",
        "CreateMitigationAction[0] actionParams addThingsToThingGroupParams thingGroupNames "
        "too many",
        "CreateMitigationAction[5] actionParams publishFindingToSnsParams topicArn too long",
        "ListDetectMitigationActionsTasks[0] maxResults above max",
        "ListDetectMitigationActionsTasks[0] endTime missing",
    ):
        assert expected in labels


@pytest.mark.parametrize(
    ("operation", "params"),
    BASELINES_VALID := [
        pytest.param(op, params, id=f"{op}[{n}]")
        for op, baselines in BASELINES.items()
        for n, params in enumerate(baselines)
        if op not in ("ListMitigationActions",)  # its baseline token is made up
    ],
)
def test_baselines_are_valid(raw_iot: IoTClient, operation: str, params: dict[str, Any]) -> None:
    assert _call(raw_iot, operation, params)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(("operation", "params"), CASES)
def test_model_constraints_are_enforced(
    raw_iot: IoTClient, operation: str, params: dict[str, Any]
) -> None:
    _expect_invalid(raw_iot, operation, params)


def _expect_invalid(iot: IoTClient, operation: str, params: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as caught:
        _call(iot, operation, params)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidRequestException", error
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error["Message"])


START_TASK = BASELINES["StartDetectMitigationActionsTask"][0]


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        pytest.param(
            "StartDetectMitigationActionsTask",
            {**START_TASK, "target": {}},
            "violationIds or a securityProfileName",
            id="target names nothing",
        ),
        pytest.param(
            "StartDetectMitigationActionsTask",
            {**START_TASK, "target": {"behaviorName": "bytes_out"}},
            "behaviorName requires securityProfileName",
            id="behavior without profile",
        ),
        pytest.param(
            "StartDetectMitigationActionsTask",
            {**START_TASK, "violationEventOccurrenceRange": {"startTime": END, "endTime": START}},
            "startTime must not be after endTime",
            id="range reversed",
        ),
        pytest.param(
            "StartDetectMitigationActionsTask",
            {**START_TASK, "actions": ["quarantine", "no-such-action"]},
            "no-such-action does not exist",
            id="unknown action",
        ),
        pytest.param(
            "ListDetectMitigationActionsTasks",
            {"startTime": END, "endTime": START},
            "startTime must not be after endTime",
            id="list range reversed",
        ),
        pytest.param(
            "ListDetectMitigationActionsExecutions",
            {"startTime": END, "endTime": START},
            "startTime must not be after endTime",
            id="executions range reversed",
        ),
        pytest.param(
            "ListDetectMitigationActionsTasks",
            {"startTime": START, "endTime": END, "nextToken": "not-a-token"},
            "nextToken",
            id="bad next token",
        ),
        pytest.param(
            "CreateMitigationAction",
            {"actionName": "a", "roleArn": ROLE, "actionParams": {}},
            "exactly one kind",
            id="no action kind",
        ),
        pytest.param(
            "CreateMitigationAction",
            {
                "actionName": "a",
                "roleArn": ROLE,
                "actionParams": {
                    "updateDeviceCertificateParams": {"action": "DEACTIVATE"},
                    "updateCACertificateParams": {"action": "DEACTIVATE"},
                },
            },
            "exactly one kind",
            id="two action kinds",
        ),
    ],
)
def test_documented_rules_are_enforced(
    raw_iot: IoTClient, operation: str, params: dict[str, Any], message: str
) -> None:
    assert message in _expect_invalid(raw_iot, operation, params)


def test_patterns_match_the_whole_value(raw_iot: IoTClient) -> None:
    message = _expect_invalid(
        raw_iot, "StartDetectMitigationActionsTask", {**START_TASK, "taskId": "ok-prefix then junk"}
    )
    assert "regular expression pattern" in message


@pytest.mark.parametrize("operation", ["DescribeMitigationAction", "DeleteMitigationAction"])
def test_an_empty_action_name_is_invalid_not_the_list(raw_iot: IoTClient, operation: str) -> None:
    """botocore sends `GET /mitigationactions/actions/`; the list must not answer for it."""
    message = _expect_invalid(raw_iot, operation, {"actionName": ""})
    assert "Value '' at 'actionName'" in message
    assert raw_iot.describe_mitigation_action(actionName="quarantine")["actionName"] == "quarantine"


def test_several_errors_are_reported_together(raw_iot: IoTClient) -> None:
    message = _expect_invalid(
        raw_iot,
        "StartDetectMitigationActionsTask",
        {**START_TASK, "taskId": "x" * 129, "clientRequestToken": "bad token"},
    )
    assert message.startswith("2 validation errors detected")


def test_fault_injection_rejects_codes_the_model_lacks(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    with pytest.raises(ValueError, match="no error"):
        detect_mitigation_emulator.inject_fault("StartDetectMitigationActionsTask", "NoSuchError")
    with pytest.raises(ValueError, match="not an error shape"):
        detect_mitigation_emulator.inject_fault("StartDetectMitigationActionsTask", "Timestamp")
    with pytest.raises(ValueError, match="unknown operation"):
        detect_mitigation_emulator.inject_fault("StartTask", "ThrottlingException")
