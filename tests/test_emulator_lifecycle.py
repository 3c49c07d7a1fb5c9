"""Task lifecycle, target resolution, quarantine, reuse, quota, cancel and pagination."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_iot import IoTClient

from iot_detect_mitigation.testing import DetectMitigationEmulator, ManualClock

ROLE = "arn:aws:iam::123456789012:role/mitigation"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def emulator(detect_mitigation_emulator: DetectMitigationEmulator) -> DetectMitigationEmulator:
    return detect_mitigation_emulator


@pytest.fixture
def iot(emulator: DetectMitigationEmulator) -> Iterator[IoTClient]:
    """A client that makes one attempt, so every error the emulator gives is seen."""
    client = boto3.client("iot", config=Config(retries={"total_max_attempts": 1}))
    client.create_thing_group(thingGroupName="quarantine")
    client.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    yield client


def _cameras(iot: IoTClient, emulator: DetectMitigationEmulator, count: int) -> None:
    for number in range(count):
        iot.create_thing(thingName=f"cam-{number}")
        emulator.add_violation(
            f"v-{number}", thing_name=f"cam-{number}", security_profile_name="cams",
            behavior_name="bytes-out", at=T0,
        )  # fmt: skip


def _start(iot: IoTClient, task_id: str = "task-1", **overrides: Any) -> None:
    params: dict[str, Any] = {
        "taskId": task_id,
        "target": {"securityProfileName": "cams"},
        "actions": ["quarantine"],
        "clientRequestToken": f"token-{task_id}",
    }
    iot.start_detect_mitigation_actions_task(**{**params, **overrides})


def _summary(iot: IoTClient, task_id: str = "task-1") -> Any:
    return iot.describe_detect_mitigation_actions_task(taskId=task_id)["taskSummary"]


def _quarantined(iot: IoTClient) -> list[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName="quarantine")["things"])


def _executed(summary: Any) -> int:
    return int(summary["taskStatistics"]["actionsExecuted"])


# Lifecycle


def test_by_default_a_task_completes_on_the_second_describe_with_growing_statistics(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 4)
    _start(iot)
    assert emulator.tasks["task-1"].statistics.actions_executed == 0
    first = _summary(iot)
    assert (first["taskStatus"], _executed(first)) == ("IN_PROGRESS", 2)
    assert "taskEndTime" not in first
    second = _summary(iot)
    assert (second["taskStatus"], _executed(second)) == ("SUCCESSFUL", 4)
    assert _quarantined(iot) == ["cam-0", "cam-1", "cam-2", "cam-3"]
    assert _summary(iot) == second  # finished tasks no longer change


def test_duration_in_describes(iot: IoTClient, emulator: DetectMitigationEmulator) -> None:
    _cameras(iot, emulator, 3)
    emulator.set_task_duration(describes=3)
    _start(iot)
    seen = [(s["taskStatus"], _executed(s)) for s in (_summary(iot) for _ in range(3))]
    assert seen == [("IN_PROGRESS", 1), ("IN_PROGRESS", 2), ("SUCCESSFUL", 3)]
    assert emulator.tasks["task-1"].describes == 3


def test_zero_describes_finishes_a_task_as_it_starts(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 1)
    emulator.set_task_duration(describes=0)
    _start(iot)
    assert emulator.tasks["task-1"].status == "SUCCESSFUL"
    assert _quarantined(iot) == ["cam-0"]


def test_duration_in_seconds_on_a_controlled_clock(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    clock = ManualClock(T0)
    emulator.set_clock(clock)
    emulator.set_task_duration(seconds=30)
    _cameras(iot, emulator, 3)
    _start(iot)
    for _ in range(5):  # describes alone do not move a clock-timed task
        assert _executed(_summary(iot)) == 0
    clock.advance(10)
    assert (_summary(iot)["taskStatus"], _executed(_summary(iot))) == ("IN_PROGRESS", 1)
    clock.advance(20)
    done = _summary(iot)
    assert done["taskStatus"] == "SUCCESSFUL"
    assert done["taskStartTime"] == T0
    assert done["taskEndTime"] == T0 + timedelta(seconds=30)
    executions = emulator.executions("task-1")
    assert {execution.start for execution in executions} == {T0}
    ends = [execution.end for execution in executions]
    assert ends == [T0 + timedelta(seconds=10)] + [T0 + timedelta(seconds=30)] * 2


def test_task_duration_controls_reject_nonsense(emulator: DetectMitigationEmulator) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        emulator.set_task_duration()
    with pytest.raises(ValueError, match="exactly one"):
        emulator.set_task_duration(describes=1, seconds=1)
    with pytest.raises(ValueError, match="negative"):
        emulator.set_task_duration(seconds=-1)
    with pytest.raises(ValueError, match="backwards"):
        ManualClock().advance(-1)


def test_a_naive_clock_is_read_as_utc(iot: IoTClient, emulator: DetectMitigationEmulator) -> None:
    emulator.set_clock(lambda: datetime(2026, 5, 1, 8, 0))
    _cameras(iot, emulator, 1)
    _start(iot)
    assert _summary(iot)["taskStartTime"] == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    emulator.set_clock(None)
    assert emulator.add_violation(
        "v-now", thing_name="x", security_profile_name="p", behavior_name="b"
    ).at > datetime(2026, 5, 2, tzinfo=UTC)


# Failures


def test_failed_executions_by_thing_name_fail_the_task(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 3)
    emulator.fail_executions(thing_names=["cam-1"], error_code="AccessDenied", message="no")
    _start(iot)
    _summary(iot)
    done = _summary(iot)
    assert done["taskStatus"] == "FAILED"
    assert done["taskStatistics"] == {"actionsExecuted": 2, "actionsSkipped": 0, "actionsFailed": 1}
    failed = iot.list_detect_mitigation_actions_executions(taskId="task-1", thingName="cam-1")
    [execution] = failed["actionsExecutions"]
    assert (execution["status"], execution["errorCode"], execution["message"]) == (
        "FAILED",
        "AccessDenied",
        "no",
    )
    assert _quarantined(iot) == ["cam-0", "cam-2"]


def test_failures_by_action_name_and_by_predicate(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    iot.create_mitigation_action(
        actionName="notify",
        roleArn=ROLE,
        actionParams={"publishFindingToSnsParams": {"topicArn": "arn:aws:sns:us-east-1:1:t"}},
    )
    _cameras(iot, emulator, 2)
    emulator.set_task_duration(describes=0)
    emulator.fail_executions(action_names=["notify"])
    _start(iot, actions=["quarantine", "notify"])
    statuses = {(e.thing_name, e.action_name): e.status for e in emulator.executions("task-1")}
    assert statuses == {
        ("cam-0", "quarantine"): "SUCCESSFUL",
        ("cam-0", "notify"): "FAILED",
        ("cam-1", "quarantine"): "SUCCESSFUL",
        ("cam-1", "notify"): "FAILED",
    }
    emulator.clear_execution_failures()
    emulator.fail_executions(
        predicate=lambda e: e.violation_id == "v-0" and e.action_name == "notify"
    )
    _start(iot, "task-2", clientRequestToken="token-2", actions=["quarantine", "notify"])
    failed = [
        (e.violation_id, e.action_name) for e in emulator.executions("task-2") if e.error_code
    ]
    assert failed == [("v-0", "notify")]


def test_without_failures_a_task_succeeds(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 2)
    emulator.fail_executions(thing_names=["cam-0"])
    emulator.clear_execution_failures()
    emulator.set_task_duration(describes=0)
    _start(iot)
    assert emulator.tasks["task-1"].status == "SUCCESSFUL"


# Quarantine in moto's thing groups


def test_quarantine_fails_for_a_missing_thing_or_group(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    iot.create_mitigation_action(
        actionName="to-nowhere",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine", "gone"]}},
    )
    _cameras(iot, emulator, 1)
    emulator.add_violation("v-ghost", thing_name="ghost", security_profile_name="cams",
                           behavior_name="bytes-out", at=T0)  # fmt: skip
    emulator.set_task_duration(describes=0)
    _start(iot, actions=["quarantine", "to-nowhere"])
    outcome = {(e.thing_name, e.action_name): e for e in emulator.executions("task-1")}
    assert outcome[("cam-0", "quarantine")].status == "SUCCESSFUL"
    assert outcome[("cam-0", "to-nowhere")].error_code == "ResourceNotFoundException"
    assert outcome[("cam-0", "to-nowhere")].message == "Thing group gone does not exist"
    assert outcome[("ghost", "quarantine")].message == "Thing ghost does not exist"
    assert emulator.tasks["task-1"].status == "FAILED"
    assert _quarantined(iot) == ["cam-0"]


def test_other_action_types_are_recorded_without_effect(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    iot.create_mitigation_action(
        actionName="logging",
        roleArn=ROLE,
        actionParams={"enableIoTLoggingParams": {"roleArnForLogging": ROLE, "logLevel": "DEBUG"}},
    )
    emulator.add_violation("v-1", thing_name="absent", security_profile_name="cams",
                           behavior_name="b", at=T0)  # fmt: skip
    emulator.set_task_duration(describes=0)
    _start(iot, actions=["logging"])
    [execution] = emulator.executions("task-1")
    assert (execution.status, execution.thing_name) == ("SUCCESSFUL", "absent")
    assert _quarantined(iot) == []


def test_actions_definition_echoes_the_action_as_created(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 1)
    original = iot.describe_mitigation_action(actionName="quarantine")
    _start(iot, actions=["quarantine", "quarantine"])  # named twice, run once
    iot.delete_mitigation_action(actionName="quarantine")
    [definition] = _summary(iot)["actionsDefinition"]
    assert definition["id"] == original["actionId"]
    assert definition["actionParams"] == original["actionParams"]
    assert len(emulator.executions("task-1")) == 1


# Target resolution


def _seed_mixed(emulator: DetectMitigationEmulator) -> None:
    seeds: dict[str, dict[str, Any]] = {
        "v-old": {"behavior_name": "bytes-out", "at": T0 - timedelta(days=30)},
        "v-active": {"behavior_name": "bytes-out", "at": T0},
        "v-inactive": {"behavior_name": "bytes-out", "at": T0, "active": False},
        "v-suppressed": {"behavior_name": "bytes-out", "at": T0, "suppressed": True},
        "v-other-behavior": {"behavior_name": "port-scan", "at": T0},
    }
    for violation_id, seed in seeds.items():
        emulator.add_violation(violation_id, thing_name=violation_id, security_profile_name="cams",
                               **seed)  # fmt: skip
    emulator.add_violation("v-elsewhere", thing_name="x", security_profile_name="other",
                           behavior_name="bytes-out", at=T0)  # fmt: skip


RANGE = {"startTime": T0 - timedelta(days=1), "endTime": T0 + timedelta(days=1)}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {},
            ["v-old", "v-active", "v-inactive", "v-other-behavior"],
            id="defaults: inactive in, suppressed out",
        ),
        pytest.param(
            {"includeOnlyActiveViolations": True, "includeSuppressedAlerts": True},
            ["v-old", "v-active", "v-suppressed", "v-other-behavior"],
            id="only active, suppressed too",
        ),
        pytest.param(
            {"target": {"securityProfileName": "cams", "behaviorName": "bytes-out"}},
            ["v-old", "v-active", "v-inactive"],
            id="by behavior",
        ),
        pytest.param(
            {"violationEventOccurrenceRange": RANGE},
            ["v-active", "v-inactive", "v-other-behavior"],
            id="within the time range",
        ),
        pytest.param(
            {"target": {"violationIds": ["v-elsewhere", "v-active", "v-suppressed", "v-unknown"]}},
            ["v-active", "v-elsewhere"],
            id="by violation ids",
        ),
        pytest.param(
            {
                "target": {"violationIds": ["v-old", "v-elsewhere"], "securityProfileName": "cams"},
            },
            ["v-old"],
            id="ids and profile combine",
        ),
    ],
)
def test_target_resolution(
    iot: IoTClient,
    emulator: DetectMitigationEmulator,
    overrides: dict[str, Any],
    expected: list[str],
) -> None:
    _seed_mixed(emulator)
    emulator.set_concurrent_task_quota(0 + 10)
    _start(iot, "task-1", **overrides)
    assert [e.violation_id for e in emulator.executions("task-1")] == expected


def test_omitted_flags_are_echoed_as_false(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _start(iot)
    summary = _summary(iot)
    assert summary["onlyActiveViolationsIncluded"] is False
    assert summary["suppressedAlertsIncluded"] is False
    assert "violationEventOccurrenceRange" not in summary


def test_add_violation_checks_the_id_and_replaces(emulator: DetectMitigationEmulator) -> None:
    with pytest.raises(ValueError, match="invalid violation id"):
        emulator.add_violation("v_1", thing_name="t", security_profile_name="p", behavior_name="b")
    emulator.add_violation("v-1", thing_name="t", security_profile_name="p", behavior_name="b")
    emulator.add_violation("v-1", thing_name="t", security_profile_name="p", behavior_name="b",
                           active=False)  # fmt: skip
    assert emulator.violations["v-1"].active is False
    assert list(emulator.violations) == ["v-1"]


# Reuse, quota, missing, cancel


def test_a_reused_task_id_or_token_is_rejected(iot: IoTClient) -> None:
    _start(iot, "task-1", clientRequestToken="token-1")
    for task_id, token in (("task-1", "token-2"), ("task-2", "token-1"), ("task-1", "token-1")):
        with pytest.raises(iot.exceptions.TaskAlreadyExistsException):
            _start(iot, task_id, clientRequestToken=token)
    _start(iot, "task-2", clientRequestToken="token-2")


def test_at_most_five_tasks_run_at_once_by_default(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    for number in range(5):
        _start(iot, f"task-{number}")
    with pytest.raises(iot.exceptions.LimitExceededException) as caught:
        _start(iot, "task-5")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    _summary(iot, "task-0")
    _summary(iot, "task-0")  # now finished: there is room for one more
    _start(iot, "task-5")
    emulator.set_concurrent_task_quota(7)
    _start(iot, "task-6")
    _start(iot, "task-7")
    with pytest.raises(iot.exceptions.LimitExceededException):
        _start(iot, "task-8")
    with pytest.raises(ValueError, match="negative"):
        emulator.set_concurrent_task_quota(-1)


def test_unknown_tasks_are_not_found(iot: IoTClient, emulator: DetectMitigationEmulator) -> None:
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_detect_mitigation_actions_task(taskId="nope")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.cancel_detect_mitigation_actions_task(taskId="nope")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_mitigation_action(actionName="nope")
    with pytest.raises(KeyError):
        emulator.executions("nope")
    assert iot.list_detect_mitigation_actions_executions(taskId="nope")["actionsExecutions"] == []


def test_cancel_skips_what_has_not_run(iot: IoTClient, emulator: DetectMitigationEmulator) -> None:
    _cameras(iot, emulator, 4)
    _start(iot)
    _summary(iot)  # half of the executions have run
    iot.cancel_detect_mitigation_actions_task(taskId="task-1")
    summary = _summary(iot)
    assert summary["taskStatus"] == "CANCELED"
    assert summary["taskStatistics"] == {
        "actionsExecuted": 2,
        "actionsSkipped": 2,
        "actionsFailed": 0,
    }
    assert isinstance(summary["taskEndTime"], datetime)
    assert [e.status for e in emulator.executions("task-1")] == ["SUCCESSFUL"] * 2 + ["SKIPPED"] * 2
    assert _quarantined(iot) == ["cam-0", "cam-1"]
    with pytest.raises(iot.exceptions.InvalidRequestException, match="already finished"):
        iot.cancel_detect_mitigation_actions_task(taskId="task-1")


def test_a_finished_task_cannot_be_cancelled(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    clock = ManualClock(T0)
    emulator.set_clock(clock)
    emulator.set_task_duration(seconds=5)
    _start(iot)
    clock.advance(5)  # over by the clock, though nobody described it
    with pytest.raises(iot.exceptions.InvalidRequestException, match="SUCCESSFUL"):
        iot.cancel_detect_mitigation_actions_task(taskId="task-1")


def test_mitigation_action_rules(iot: IoTClient) -> None:
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException):
        iot.create_mitigation_action(
            actionName="quarantine",
            roleArn=ROLE,
            actionParams={"updateDeviceCertificateParams": {"action": "DEACTIVATE"}},
        )
    for number in range(99):
        iot.create_mitigation_action(
            actionName=f"a{number}",
            roleArn=ROLE,
            actionParams={"updateDeviceCertificateParams": {"action": "DEACTIVATE"}},
        )
    with pytest.raises(iot.exceptions.LimitExceededException):
        iot.create_mitigation_action(
            actionName="one-too-many",
            roleArn=ROLE,
            actionParams={"updateDeviceCertificateParams": {"action": "DEACTIVATE"}},
        )


# Pagination


def test_tasks_paginate(iot: IoTClient, emulator: DetectMitigationEmulator) -> None:
    emulator.set_task_duration(describes=0)
    for number in range(7):
        _start(iot, f"task-{number}")
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    first = iot.list_detect_mitigation_actions_tasks(maxResults=3, startTime=start, endTime=end)
    assert [t["taskId"] for t in first["tasks"]] == ["task-0", "task-1", "task-2"]
    second = iot.list_detect_mitigation_actions_tasks(
        maxResults=3, nextToken=first["nextToken"], startTime=start, endTime=end
    )
    assert [t["taskId"] for t in second["tasks"]] == ["task-3", "task-4", "task-5"]
    pages = iot.get_paginator("list_detect_mitigation_actions_tasks").paginate(
        startTime=start, endTime=end, PaginationConfig={"PageSize": 3}
    )
    assert [[t["taskId"] for t in page["tasks"]] for page in pages] == [
        ["task-0", "task-1", "task-2"],
        ["task-3", "task-4", "task-5"],
        ["task-6"],
    ]


def test_executions_and_actions_paginate(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    _cameras(iot, emulator, 30)
    emulator.set_task_duration(describes=0)
    _start(iot)
    default_page = iot.list_detect_mitigation_actions_executions(taskId="task-1")
    assert len(default_page["actionsExecutions"]) == 25
    pages = iot.get_paginator("list_detect_mitigation_actions_executions").paginate(
        taskId="task-1", PaginationConfig={"PageSize": 7}
    )
    seen = [e["violationId"] for page in pages for e in page["actionsExecutions"]]
    assert seen == [f"v-{number}" for number in range(30)]
    for number in range(4):
        iot.create_mitigation_action(
            actionName=f"extra-{number}",
            roleArn=ROLE,
            actionParams={"updateCACertificateParams": {"action": "DEACTIVATE"}},
        )
    action_pages = iot.get_paginator("list_mitigation_actions").paginate(
        PaginationConfig={"PageSize": 2}
    )
    assert [len(page["actionIdentifiers"]) for page in action_pages] == [2, 2, 1]


def _create_actions(iot: IoTClient, names: Iterable[str]) -> None:
    for name in names:
        iot.create_mitigation_action(
            actionName=name,
            roleArn=ROLE,
            actionParams={"updateCACertificateParams": {"action": "DEACTIVATE"}},
        )


def test_deleting_each_action_while_paging_leaves_none(iot: IoTClient) -> None:
    _create_actions(iot, (f"action-{number}" for number in range(30)))
    deleted = []
    for page in iot.get_paginator("list_mitigation_actions").paginate():
        for action in page["actionIdentifiers"]:
            iot.delete_mitigation_action(actionName=action["actionName"])
            deleted.append(action["actionName"])
    assert len(deleted) == len(set(deleted)) == 31  # the fixture's quarantine action too
    assert iot.list_mitigation_actions()["actionIdentifiers"] == []


@pytest.mark.parametrize(
    "text", ["dm-offset:5", 'dm-after:"5"', "dm-after:[]", "dm-after:[-1]", "dm-after:[true]"]
)
def test_a_token_the_emulator_did_not_make_is_invalid(iot: IoTClient, text: str) -> None:
    token = base64.urlsafe_b64encode(text.encode()).decode()
    with pytest.raises(iot.exceptions.InvalidRequestException, match="nextToken"):
        iot.list_mitigation_actions(nextToken=token)


def _following_pages(
    call: Callable[..., Any], key: str, first: Mapping[str, Any], **query: Any
) -> list[Any]:
    """The items of the pages after `first`, following nextToken."""
    items: list[Any] = []
    token = first.get("nextToken")
    for _ in range(50):
        if token is None:
            return items
        page = call(nextToken=token, **query)
        items += page[key]
        token = page.get("nextToken")
    raise AssertionError("the pages never ended")


def test_actions_added_or_removed_between_pages_skip_and_repeat_nothing(iot: IoTClient) -> None:
    _create_actions(iot, (f"old-{number}" for number in range(20)))
    first = iot.list_mitigation_actions(maxResults=8)
    _create_actions(iot, ["new-1", "new-2"])
    iot.delete_mitigation_action(actionName=first["actionIdentifiers"][-1]["actionName"])
    iot.delete_mitigation_action(actionName="old-15")  # not listed yet
    rest = _following_pages(iot.list_mitigation_actions, "actionIdentifiers", first, maxResults=8)
    seen = [action["actionName"] for action in first["actionIdentifiers"] + rest]
    existing = ["quarantine", *(f"old-{number}" for number in range(20) if number != 15)]
    assert seen == [*existing, "new-1", "new-2"]


def test_tasks_and_executions_started_between_pages_skip_and_repeat_nothing(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_clock(ManualClock(T0))
    emulator.set_task_duration(describes=0)
    _cameras(iot, emulator, 3)
    for number in range(4):
        _start(iot, f"task-{number}")
    window: dict[str, Any] = {"startTime": T0, "endTime": T0 + timedelta(hours=1), "maxResults": 3}
    tasks = iot.list_detect_mitigation_actions_tasks(**window)
    executions = iot.list_detect_mitigation_actions_executions(**window)
    _start(iot, "task-late")
    task_ids = [
        task["taskId"]
        for task in tasks["tasks"]
        + _following_pages(iot.list_detect_mitigation_actions_tasks, "tasks", tasks, **window)
    ]
    pairs = [
        (execution["taskId"], execution["violationId"])
        for execution in executions["actionsExecutions"]
        + _following_pages(
            iot.list_detect_mitigation_actions_executions,
            "actionsExecutions",
            executions,
            **window,
        )
    ]
    started = ["task-0", "task-1", "task-2", "task-3", "task-late"]
    assert task_ids == started
    assert pairs == [(task, f"v-{number}") for task in started for number in range(3)]


def test_executions_filter_by_violation_and_time(
    iot: IoTClient, emulator: DetectMitigationEmulator
) -> None:
    clock = ManualClock(T0)
    emulator.set_clock(clock)
    emulator.set_task_duration(describes=0)
    _cameras(iot, emulator, 2)
    _start(iot, "task-1")
    clock.advance(3600)
    _start(iot, "task-2")
    by_violation = iot.list_detect_mitigation_actions_executions(
        violationId="v-1", startTime=T0, endTime=T0 + timedelta(days=1)
    )
    assert [e["taskId"] for e in by_violation["actionsExecutions"]] == ["task-1", "task-2"]
    later = iot.list_detect_mitigation_actions_executions(
        startTime=T0 + timedelta(minutes=30), endTime=T0 + timedelta(hours=2)
    )
    assert {e["taskId"] for e in later["actionsExecutions"]} == {"task-2"}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="neither"),
        pytest.param({"violationId": "v-1"}, id="a violation alone"),
        pytest.param({"taskId": "task-1", "startTime": T0, "endTime": T0}, id="both"),
        pytest.param({"startTime": T0}, id="start alone"),
        pytest.param({"endTime": T0}, id="end alone"),
        pytest.param({"taskId": "task-1", "endTime": T0}, id="task and end"),
    ],
)
def test_executions_need_a_task_or_a_time_range_but_not_both(
    iot: IoTClient, emulator: DetectMitigationEmulator, query: dict[str, Any]
) -> None:
    """The API reference: "specify either the startTime and endTime or the taskId, but not both"."""
    _cameras(iot, emulator, 1)
    _start(iot)
    with pytest.raises(iot.exceptions.InvalidRequestException, match="startTime and endTime"):
        iot.list_detect_mitigation_actions_executions(**query)
