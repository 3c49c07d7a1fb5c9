"""The emulator from any language: a separate server process, seeded and controlled over HTTP.

The server is started the documented way (`python -m iot_detect_mitigation.testing --port 0`,
URL from its first line). Controls go over plain HTTP as curl sends them; the AWS API is called
with boto3 over the same HTTP. tests/test_emulator_awscli.py drives it with the AWS CLI.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_iot import IoTClient

from .emulator_process import COMMAND, EmulatorProcess, emulator_process

ROLE = "arn:aws:iam::123456789012:role/mitigation"
VIOLATION = {
    "violationId": "v-1",
    "thingName": "pump-1",
    "securityProfileName": "pumps-ml",
    "behaviorName": "authorization-failures",
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorProcess]:
    with emulator_process() as running:
        yield running
    assert running.returncode == 0
    assert running.errors().splitlines()[-1] == "Stopped"


@pytest.fixture
def iot(server: EmulatorProcess) -> IoTClient:
    """A client of the server, its state cleared first with moto's own reset endpoint."""
    assert server.request("POST", "/moto-api/reset")[0] == 200
    return _client(server, "us-east-1")


def _client(server: EmulatorProcess, region: str) -> IoTClient:
    return boto3.session.Session().client(
        "iot",
        region_name=region,
        endpoint_url=server.url,
        config=Config(retries={"total_max_attempts": 1}),
    )


def _quarantine(iot: IoTClient, things: int = 1) -> None:
    for number in range(1, things + 1):
        iot.create_thing(thingName=f"pump-{number}")
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )


def _start(iot: IoTClient, task_id: str = "task-1") -> None:
    iot.start_detect_mitigation_actions_task(
        taskId=task_id,
        target={"securityProfileName": "pumps-ml"},
        actions=["quarantine"],
        clientRequestToken=f"token-{task_id}",
    )


def _status(iot: IoTClient, task_id: str = "task-1") -> str:
    summary = iot.describe_detect_mitigation_actions_task(taskId=task_id)["taskSummary"]
    return summary["taskStatus"]


def _seed(server: EmulatorProcess, body: object, region: str = "us-east-1") -> Any:
    status, answer = server.request("POST", f"/_emulator/violations?region={region}", body)
    assert status == 200, answer
    return answer


def _control(server: EmulatorProcess, body: object) -> None:
    assert server.request("POST", "/_emulator/controls", body) == (200, {})


def _state(server: EmulatorProcess, region: str = "us-east-1") -> Any:
    status, answer = server.request("GET", f"/_emulator/state?region={region}")
    assert status == 200, answer
    return answer


def test_the_first_line_is_the_url(server: EmulatorProcess) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)


# Seeding and reading state


def test_a_seeded_violation_is_quarantined_and_the_state_shows_it(
    server: EmulatorProcess, iot: IoTClient
) -> None:
    _quarantine(iot)
    answer = _seed(server, {**VIOLATION, "at": "2026-01-01T00:00:00Z"})
    assert answer == {
        "violations": [
            {**VIOLATION, "at": "2026-01-01T00:00:00Z", "active": True, "suppressed": False}
        ]
    }
    _start(iot)
    statuses = [_status(iot), _status(iot)]
    assert statuses == ["IN_PROGRESS", "SUCCESSFUL"]
    assert iot.list_things_in_thing_group(thingGroupName="quarantine")["things"] == ["pump-1"]
    state = _state(server)
    assert state["violations"] == answer["violations"]
    [task] = state["tasks"]
    assert (task["taskId"], task["taskStatus"]) == ("task-1", "SUCCESSFUL")
    assert task["taskStatistics"] == {"actionsExecuted": 1, "actionsSkipped": 0, "actionsFailed": 0}
    [execution] = task["executions"]
    assert (execution["violationId"], execution["thingName"], execution["status"]) == (
        "v-1",
        "pump-1",
        "SUCCESSFUL",
    )
    assert state["callCounts"] == {
        "CreateMitigationAction": 1,
        "StartDetectMitigationActionsTask": 1,
        "DescribeDetectMitigationActionsTask": 2,
    }
    assert state["throttledCount"] == 0


def test_a_list_of_violations_with_epoch_and_iso_times(
    server: EmulatorProcess, iot: IoTClient
) -> None:
    answer = _seed(
        server,
        [
            {**VIOLATION, "at": 1767225600},
            {**VIOLATION, "violationId": "v-2", "at": "2026-01-01T01:00:00+01:00"},
            {**VIOLATION, "violationId": "v-3", "active": False, "suppressed": True},
        ],
    )
    stored = {v["violationId"]: v for v in answer["violations"]}
    assert stored["v-1"]["at"] == stored["v-2"]["at"] == "2026-01-01T00:00:00Z"
    assert (stored["v-3"]["active"], stored["v-3"]["suppressed"]) == (False, True)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", stored["v-3"]["at"])  # the emulator's now


def test_regions_have_their_own_state(server: EmulatorProcess, iot: IoTClient) -> None:
    _seed(server, VIOLATION, region="eu-west-1")
    assert _state(server, "eu-west-1")["violations"][0]["violationId"] == "v-1"
    assert _state(server)["violations"] == []
    eu = _client(server, "eu-west-1")
    _quarantine(eu)
    _start(eu)
    assert _state(server, "eu-west-1")["tasks"][0]["taskId"] == "task-1"
    assert _state(server)["tasks"] == []


def test_reset_clears_the_region_s_state_and_controls_only(
    server: EmulatorProcess, iot: IoTClient
) -> None:
    _quarantine(iot)
    _seed(server, VIOLATION)
    _control(server, {"concurrentTaskQuota": 0})
    assert server.request("POST", "/_emulator/reset") == (200, {})
    assert _state(server) == {
        "region": "us-east-1",
        "tasks": [],
        "violations": [],
        "callCounts": {},
        "throttledCount": 0,
    }
    assert iot.list_mitigation_actions()["actionIdentifiers"] == []  # the emulator's too
    assert iot.describe_thing(thingName="pump-1")["thingName"] == "pump-1"  # moto's stay
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    _start(iot)  # the quota is AWS's 5 again


# Controls


def test_task_duration_and_concurrent_task_quota(server: EmulatorProcess, iot: IoTClient) -> None:
    _quarantine(iot)
    _seed(server, VIOLATION)
    _control(server, {"taskDuration": {"describes": 3}, "concurrentTaskQuota": 1})
    _start(iot)
    with pytest.raises(iot.exceptions.LimitExceededException):
        _start(iot, "task-2")
    assert [_status(iot) for _ in range(3)] == ["IN_PROGRESS", "IN_PROGRESS", "SUCCESSFUL"]
    _control(server, {"taskDuration": {"seconds": 3600}})  # an hour of wall time
    _start(iot, "task-2")
    assert [_status(iot, "task-2") for _ in range(5)] == ["IN_PROGRESS"] * 5


def test_failed_executions_and_clearing_them(server: EmulatorProcess, iot: IoTClient) -> None:
    _quarantine(iot, things=2)
    _seed(server, [VIOLATION, {**VIOLATION, "violationId": "v-2", "thingName": "pump-2"}])
    _control(
        server,
        {
            "taskDuration": {"describes": 0},
            "failExecutions": {
                "thingNames": ["pump-2"],
                "errorCode": "Boom",
                "message": "went wrong",
            },
        },
    )
    _start(iot)
    assert _status(iot) == "FAILED"
    failed = iot.list_detect_mitigation_actions_executions(taskId="task-1", thingName="pump-2")
    [execution] = failed["actionsExecutions"]
    assert (execution["status"], execution["errorCode"], execution["message"]) == (
        "FAILED",
        "Boom",
        "went wrong",
    )
    _control(server, {"clearExecutionFailures": True})
    _start(iot, "task-2")
    assert _status(iot, "task-2") == "SUCCESSFUL"


def test_faults_and_clearing_them(server: EmulatorProcess, iot: IoTClient) -> None:
    _quarantine(iot)
    _control(
        server,
        {
            "faults": [
                {
                    "operation": "StartDetectMitigationActionsTask",
                    "errorCode": "ThrottlingException",
                    "count": 2,
                }
            ]
        },
    )
    for _ in range(2):
        with pytest.raises(iot.exceptions.ThrottlingException):
            _start(iot)
    _start(iot)
    _control(
        server,
        {
            "faults": {
                "operation": "DescribeDetectMitigationActionsTask",
                "errorCode": "InternalFailureException",
            }
        },
    )
    with pytest.raises(iot.exceptions.InternalFailureException):
        _status(iot)
    _control(
        server,
        {
            "faults": {
                "operation": "DescribeDetectMitigationActionsTask",
                "errorCode": "InternalFailureException",
            }
        },
    )
    _control(server, {"clearFaults": True})
    assert _status(iot) == "IN_PROGRESS"
    assert _state(server)["throttledCount"] == 3


def test_the_rate_limit_and_turning_it_off(server: EmulatorProcess, iot: IoTClient) -> None:
    _control(server, {"rateLimit": 1})
    codes = []
    for _ in range(20):  # one request per second passes: the second of a quick pair does not
        try:
            iot.list_mitigation_actions()
            codes.append("ok")
        except iot.exceptions.ThrottlingException:
            codes.append("throttled")
            break
    assert codes[-1] == "throttled"
    _control(server, {"rateLimit": None})
    for _ in range(20):
        iot.list_mitigation_actions()


THROTTLE = {"operation": "ListMitigationActions", "errorCode": "ThrottlingException"}
BAD_VIOLATIONS: list[tuple[object, list[str]]] = [
    ({**VIOLATION, "thingName": None}, ["thingName"]),
    ({"violationId": "v-1"}, ["thingName", "securityProfileName", "behaviorName"]),
    ([VIOLATION, {**VIOLATION, "violationId": "v 2"}], ["[1].violationId"]),
    ({**VIOLATION, "at": "yesterday"}, ["at"]),
    ({**VIOLATION, "active": "yes"}, ["active"]),
    ({**VIOLATION, "thing": "pump-1"}, ["thing"]),
    ("v-1", ["body"]),
]
BAD_CONTROLS: list[tuple[object, list[str]]] = [
    ({"taskDuration": {"describes": 1, "seconds": 1}}, ["taskDuration"]),
    ({"taskDuration": {"describes": -1}}, ["taskDuration"]),
    ({"concurrentTaskQuota": "5"}, ["concurrentTaskQuota"]),
    ({"concurrentTaskQuota": -1}, ["concurrentTaskQuota"]),
    ({"rateLimit": 0}, ["rateLimit"]),
    ({"failExecutions": {"thingNames": "pump-1"}}, ["failExecutions[0].thingNames"]),
    ({"faults": {**THROTTLE, "operation": "StartTask"}}, ["faults[0].operation"]),
    ({"faults": {**THROTTLE, "errorCode": "Nope"}}, ["faults[0].errorCode"]),
    ({"faults": [THROTTLE, {**THROTTLE, "count": -2}]}, ["faults[1].count"]),
    ({"clearFaults": "true"}, ["clearFaults"]),
    ({"speed": 2}, ["speed"]),
    ([], ["body"]),
]


@pytest.mark.parametrize(
    ("path", "body", "members"),
    [("/_emulator/violations", body, members) for body, members in BAD_VIOLATIONS]
    + [("/_emulator/controls", body, members) for body, members in BAD_CONTROLS]
    + [("/_emulator/state?region=mars-1", None, ["region"])],
)
def test_a_bad_body_is_a_400_naming_each_member(
    server: EmulatorProcess, iot: IoTClient, path: str, body: object, members: list[str]
) -> None:
    method = "GET" if path.startswith("/_emulator/state") else "POST"
    status, answer = server.request(method, path, body)
    assert status == 400
    assert [error["member"] for error in answer["errors"]] == members
    for member in members:
        assert f"{member}: " in answer["message"]


def test_a_body_that_is_not_json(server: EmulatorProcess, iot: IoTClient) -> None:
    status, answer = server.request("POST", "/_emulator/controls", raw=b"rateLimit=1")
    assert (status, answer["errors"][0]["member"]) == (400, "body")


def test_a_bad_body_changes_nothing(server: EmulatorProcess, iot: IoTClient) -> None:
    _quarantine(iot)
    start = "StartDetectMitigationActionsTask"
    body = {"faults": {**THROTTLE, "operation": start}, "concurrentTaskQuota": -1}
    assert server.request("POST", "/_emulator/controls", body)[0] == 400
    bad_violations = [VIOLATION, {**VIOLATION, "violationId": "v-2", "at": "soon"}]
    assert server.request("POST", "/_emulator/violations", bad_violations)[0] == 400
    _start(iot)  # no fault was queued
    assert _state(server)["violations"] == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/_emulator/violations", 405),
        ("POST", "/_emulator/state", 405),
        ("GET", "/_emulator/", 404),
        ("GET", "/_emulator/tasks", 404),
    ],
)
def test_unknown_endpoints_answer_json_listing_the_endpoints(
    server: EmulatorProcess, method: str, path: str, status: int
) -> None:
    answer_status, answer = server.request(method, path)
    assert answer_status == status
    assert "POST /_emulator/violations" in answer["message"]
    assert "GET /_emulator/state" in answer["message"]


# AWS's rules for the list operations, over HTTP


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"taskId": "task-1", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02"},
        {"startTime": "2026-01-01T00:00:00Z"},
    ],
    ids=["neither", "both", "half a range"],
)
def test_listing_executions_needs_a_task_or_a_range(
    server: EmulatorProcess, iot: IoTClient, query: dict[str, Any]
) -> None:
    with pytest.raises(iot.exceptions.InvalidRequestException):
        iot.list_detect_mitigation_actions_executions(**query)


def test_deleting_each_action_while_paging_leaves_none(
    server: EmulatorProcess, iot: IoTClient
) -> None:
    for number in range(30):
        iot.create_mitigation_action(
            actionName=f"action-{number}",
            roleArn=ROLE,
            actionParams={"updateCACertificateParams": {"action": "DEACTIVATE"}},
        )
    deleted = 0
    for page in iot.get_paginator("list_mitigation_actions").paginate():
        for action in page["actionIdentifiers"]:
            iot.delete_mitigation_action(actionName=action["actionName"])
            deleted += 1
    assert deleted == 30
    assert iot.list_mitigation_actions()["actionIdentifiers"] == []


@pytest.mark.parametrize("call", ["describe_mitigation_action", "delete_mitigation_action"])
def test_an_empty_action_name_is_an_invalid_request(
    server: EmulatorProcess, iot: IoTClient, call: str
) -> None:
    _quarantine(iot)
    with pytest.raises(iot.exceptions.InvalidRequestException, match="'actionName'"):
        getattr(iot, call)(actionName="")
    assert len(iot.list_mitigation_actions()["actionIdentifiers"]) == 1


# The command


def test_requests_are_not_logged_unless_verbose(server: EmulatorProcess, iot: IoTClient) -> None:
    _state(server)
    iot.list_mitigation_actions()
    assert "HTTP/1.1" not in server.errors()
    with emulator_process("--verbose") as verbose:
        verbose.request("POST", "/_emulator/reset")
        _client(verbose, "us-east-1").list_mitigation_actions()
    logged = verbose.errors()
    assert '"POST /_emulator/reset HTTP/1.1" 200' in logged
    assert '"GET /mitigationactions/actions HTTP/1.1" 200' in logged


def test_a_busy_port_ends_the_command_with_one_line_naming_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert f"127.0.0.1:{port}" in line
    assert "Address already in use" in line
