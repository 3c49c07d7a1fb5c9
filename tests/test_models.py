"""Rules the service model does not spell out, lenient parsing, and properties of the models."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from iot_detect_mitigation import (
    AddThingsToThingGroupParams,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationActionsTaskTargetOutput,
    LogLevel,
    MitigationActionParams,
    StartDetectMitigationActionsTaskRequest,
    UpdateCACertificateParams,
    ViolationEventOccurrenceRange,
)

START_SHAPE = (
    botocore.session.get_session()
    .get_service_model("iot")
    .shape_for("StartDetectMitigationActionsTaskRequest")
)
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def _error_types(error: ValidationError) -> set[str]:
    return {e["type"] for e in error.errors()}


def test_empty_target_is_rejected() -> None:
    with pytest.raises(ValidationError, match="violation_ids or security_profile_name"):
        DetectMitigationActionsTaskTarget()


def test_behavior_needs_a_security_profile() -> None:
    with pytest.raises(ValidationError, match="behavior_name needs security_profile_name"):
        DetectMitigationActionsTaskTarget(violation_ids=["v-1"], behavior_name="b")
    target = DetectMitigationActionsTaskTarget(security_profile_name="p", behavior_name="b")
    assert target.model_dump(exclude_none=True) == {
        "securityProfileName": "p",
        "behaviorName": "b",
    }


def test_naive_datetimes_are_rejected_not_taken_as_utc() -> None:
    with pytest.raises(ValidationError) as caught:
        ViolationEventOccurrenceRange(start_time=datetime(2026, 1, 1), end_time=NOW)
    assert _error_types(caught.value) == {"timezone_aware"}
    assert caught.value.errors()[0]["loc"] == ("start_time",)


def test_range_must_be_ordered_but_may_be_a_single_instant() -> None:
    with pytest.raises(ValidationError, match="start_time must not be after end_time"):
        ViolationEventOccurrenceRange(start_time=NOW, end_time=NOW - timedelta(seconds=1))
    assert ViolationEventOccurrenceRange(start_time=NOW, end_time=NOW).start_time == NOW


def test_range_compares_instants_across_zones() -> None:
    plus_two = timezone(timedelta(hours=2))
    window = ViolationEventOccurrenceRange(
        start_time=NOW.astimezone(plus_two), end_time=NOW + timedelta(hours=1)
    )
    assert window.start_time == NOW


def test_action_params_as_aws_sends_them_are_never_rejected() -> None:
    # The library only reads action parameters: what AWS defines, it keeps, however odd.
    assert MitigationActionParams().model_dump(exclude_none=True) == {}
    both = MitigationActionParams(
        update_ca_certificate_params=UpdateCACertificateParams(action="DEACTIVATE"),
        add_things_to_thing_group_params=AddThingsToThingGroupParams(thing_group_names=[]),
    )
    assert both.add_things_to_thing_group_params is not None
    assert both.add_things_to_thing_group_params.thing_group_names == []


def test_irregular_aws_names_are_the_aliases() -> None:
    params = MitigationActionParams.model_validate(
        {"updateCACertificateParams": {"action": "DEACTIVATE"}}
    )
    assert params.update_ca_certificate_params is not None
    assert params.model_dump(exclude_none=True) == {
        "updateCACertificateParams": {"action": "DEACTIVATE"}
    }
    logging_params = MitigationActionParams.model_validate(
        {"enableIoTLoggingParams": {"roleArnForLogging": "r" * 20, "logLevel": "WARN"}}
    )
    assert logging_params.enable_iot_logging_params is not None
    assert logging_params.enable_iot_logging_params.log_level is LogLevel.WARN


def test_requests_forbid_unknown_fields_and_are_frozen() -> None:
    with pytest.raises(ValidationError) as caught:
        DetectMitigationActionsTaskTarget.model_validate(
            {"security_profile_name": "p", "behaviour_name": "b"}
        )
    assert _error_types(caught.value) == {"extra_forbidden"}
    target = DetectMitigationActionsTaskTarget(violation_ids=["v"])
    with pytest.raises(ValidationError):
        target.violation_ids = ["w"]  # type: ignore[misc]  # frozen on purpose


def test_requests_are_strict_about_types() -> None:
    with pytest.raises(ValidationError) as caught:
        StartDetectMitigationActionsTaskRequest.model_validate(
            {
                "taskId": "t",
                "target": {"violationIds": ["v"]},
                "actions": ["a"],
                "includeSuppressedAlerts": "yes",
                "clientRequestToken": "x",
            }
        )
    assert caught.value.errors()[0]["loc"] == ("includeSuppressedAlerts",)


def test_a_bare_string_of_actions_is_rejected_naming_actions() -> None:
    data = {"taskId": "t", "target": {"violationIds": ["v"]}, "clientRequestToken": "x"}
    with pytest.raises(ValidationError) as caught:
        StartDetectMitigationActionsTaskRequest.model_validate({**data, "actions": "quarantine"})
    assert [error["loc"] for error in caught.value.errors()] == [("actions",)]
    assert _error_types(caught.value) == {"list_type"}


def test_repeated_action_names_are_rejected_naming_actions() -> None:
    data = {"taskId": "t", "target": {"violationIds": ["v"]}, "clientRequestToken": "x"}
    with pytest.raises(ValidationError, match=r"must not repeat an action.*: q") as caught:
        StartDetectMitigationActionsTaskRequest.model_validate({**data, "actions": ["q", "r", "q"]})
    assert caught.value.errors()[0]["loc"] == ("actions",)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # after year 9999
    ],
)
def test_a_window_that_cannot_go_on_the_wire_is_a_validation_error(moment: datetime) -> None:
    with pytest.raises(ValidationError, match="can be expressed in UTC") as caught:
        ViolationEventOccurrenceRange(start_time=moment, end_time=moment)
    assert {error["loc"] for error in caught.value.errors()} == {("start_time",), ("end_time",)}


def test_the_extremes_that_can_go_on_the_wire_are_accepted() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    window = ViolationEventOccurrenceRange(start_time=first, end_time=last)
    assert window.end_time == last


FULL_SUMMARY: dict[str, Any] = {
    "taskId": "t-1",
    "taskStatus": "SUCCESSFUL",
    "taskStartTime": datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    "taskEndTime": datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    "target": {"securityProfileName": "p", "behaviorName": "b"},
    "violationEventOccurrenceRange": {"startTime": NOW, "endTime": NOW},
    "onlyActiveViolationsIncluded": True,
    "suppressedAlertsIncluded": False,
    "actionsDefinition": [
        {
            "name": "quarantine",
            "id": "id-1",
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "actionParams": {"addThingsToThingGroupParams": {"thingGroupNames": ["q"]}},
        }
    ],
    "taskStatistics": {"actionsExecuted": 3, "actionsSkipped": 0, "actionsFailed": 1},
}


def test_summary_parses_every_member() -> None:
    summary = DetectMitigationActionsTaskSummary.from_aws(FULL_SUMMARY)
    assert summary.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert summary.is_terminal
    assert summary.task_start_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert summary.task_start_time.tzinfo is UTC
    assert summary.task_statistics.actions_failed == 1
    assert summary.actions_definition is not None
    params = summary.actions_definition[0].action_params
    assert params is not None and params.add_things_to_thing_group_params is not None
    assert params.add_things_to_thing_group_params.thing_group_names == ["q"]
    # The dump speaks AWS again: it round-trips.
    assert DetectMitigationActionsTaskSummary.from_aws(summary.model_dump()) == summary


def test_summary_tolerates_what_aws_may_add_or_leave_out() -> None:
    grown = {
        **FULL_SUMMARY,
        "taskStatus": "PAUSED",
        "newMember": 1,
        "target": {"securityProfileName": "p", "thingGroupName": "g"},
        "actionsDefinition": [
            {"name": "a", "actionParams": {"rebootDeviceParams": {"delay": 1}}},
            {
                "name": "b",
                "actionParams": {
                    "enableIoTLoggingParams": {"roleArnForLogging": "r" * 20, "logLevel": "TRACE"}
                },
            },
        ],
    }
    summary = DetectMitigationActionsTaskSummary.from_aws(grown)
    assert summary.task_status == "PAUSED"
    assert not summary.is_terminal
    assert summary.target == DetectMitigationActionsTaskTargetOutput(security_profile_name="p")
    assert summary.actions_definition is not None
    first, second = (action.action_params for action in summary.actions_definition)
    assert first is not None and first.model_dump(exclude_none=True) == {}
    assert second is not None and second.enable_iot_logging_params is not None
    assert second.enable_iot_logging_params.log_level == "TRACE"

    bare = DetectMitigationActionsTaskSummary.from_aws({})
    assert bare.task_status is None
    assert bare.task_statistics.actions_executed is None


def test_known_statuses_are_members_even_without_the_aws_context() -> None:
    summary = DetectMitigationActionsTaskSummary.model_validate({"taskStatus": "FAILED"})
    assert summary.task_status is DetectMitigationActionsTaskStatus.FAILED
    assert summary.task_status == "FAILED"


# --- properties -------------------------------------------------------------------------------

ID_ALPHABET = string.ascii_letters + string.digits + "_-"
names = st.text(ID_ALPHABET, min_size=1, max_size=128)
violation_ids = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=128)
profile_names = st.text(ID_ALPHABET + ":", min_size=1, max_size=128)
aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def valid_requests(draw: st.DrawFn) -> dict[str, Any]:
    by_profile = draw(st.booleans())
    target: dict[str, Any] = (
        {"securityProfileName": draw(profile_names)}
        if by_profile
        else {"violationIds": draw(st.lists(violation_ids, min_size=1, max_size=25))}
    )
    if by_profile and draw(st.booleans()):
        target["behaviorName"] = draw(profile_names)
    request: dict[str, Any] = {
        "taskId": draw(names),
        "target": target,
        "actions": draw(st.lists(names, min_size=1, max_size=5, unique=True)),
        "clientRequestToken": draw(st.text(ID_ALPHABET, min_size=1, max_size=64)),
    }
    if draw(st.booleans()):
        start, end = sorted([draw(aware), draw(aware)])
        request["violationEventOccurrenceRange"] = {"startTime": start, "endTime": end}
    for flag in ("includeOnlyActiveViolations", "includeSuppressedAlerts"):
        if draw(st.booleans()):
            request[flag] = draw(st.booleans())
    return request


@given(valid_requests())
def test_valid_requests_round_trip_and_pass_botocore(data: dict[str, Any]) -> None:
    request = StartDetectMitigationActionsTaskRequest.model_validate(data)
    params = request.to_boto3()
    assert params == data == request.model_dump(exclude_none=True)
    report = ParamValidator().validate(params, START_SHAPE)
    assert not report.has_errors(), report.generate_report()


@given(st.text(max_size=140))
def test_any_task_id_is_accepted_only_if_aws_would(task_id: str) -> None:
    data = {"taskId": task_id, "target": {"violationIds": ["v"]}, "actions": ["a"]}
    try:
        request = StartDetectMitigationActionsTaskRequest.model_validate(
            {**data, "clientRequestToken": "t"}
        )
    except ValidationError as error:
        assert error.errors()[0]["loc"] == ("taskId",)
        assert not (1 <= len(task_id) <= 128 and set(task_id) <= set(ID_ALPHABET))
    else:
        assert request.task_id == task_id
        assert 1 <= len(task_id) <= 128 and set(task_id) <= set(ID_ALPHABET)
