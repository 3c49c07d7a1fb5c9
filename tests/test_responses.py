"""Answers are lenient however they are parsed, and summaries round-trip in every form."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.utils import parse_timestamp
from hypothesis import given
from hypothesis import strategies as st

from iot_detect_mitigation import (
    DetectMitigationActionExecution,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    LogLevel,
)

# What AWS might send one day: members, enum values and action kinds this version does not know,
# at every depth, and values that break the rules a request must follow.
GROWN: dict[str, Any] = {
    "taskId": "t-1",
    "taskStatus": "PAUSED",
    "taskStartTime": 1_767_225_600.25,
    "taskEndTime": 1_767_225_660,
    "brandNewMember": {"nested": True},
    "target": {
        "violationIds": [],
        "behaviorName": "behavior without a profile",
        "thingGroupName": "g",
    },
    "violationEventOccurrenceRange": {
        "startTime": 1_767_225_600,
        "endTime": 1_767_139_200,  # before the start: a request may not say so, AWS may
        "timeZone": "UTC",
    },
    "onlyActiveViolationsIncluded": True,
    "suppressedAlertsIncluded": False,
    "actionsDefinition": [
        {"name": "reboot", "actionParams": {"rebootDeviceParams": {"delay": 1}}, "extra": 1},
        {
            "name": "log",
            "actionParams": {
                "enableIoTLoggingParams": {"roleArnForLogging": "short", "logLevel": "TRACE"},
                "publishFindingToSnsParams": {"topicArn": "t" * 400},
            },
        },
        {
            "name": "quarantine",
            "actionParams": {
                "addThingsToThingGroupParams": {"thingGroupNames": [f"g{n}" for n in range(12)]}
            },
        },
    ],
    "taskStatistics": {"actionsExecuted": 3, "actionsSkipped": 0, "actionsFailed": 1, "new": 9},
}


def _every_parse(payload: dict[str, Any]) -> list[DetectMitigationActionsTaskSummary]:
    return [
        DetectMitigationActionsTaskSummary.model_validate(payload),
        DetectMitigationActionsTaskSummary.model_validate_json(json.dumps(payload)),
        DetectMitigationActionsTaskSummary.from_aws(payload),
    ]


def test_every_way_of_parsing_gives_the_same_lenient_result() -> None:
    plain, from_json, from_aws = _every_parse(GROWN)
    assert plain == from_json == from_aws
    assert plain.task_status == "PAUSED" and not plain.is_terminal
    assert plain.target is not None and plain.target.violation_ids == []
    assert plain.target.behavior_name == "behavior without a profile"
    window = plain.violation_event_occurrence_range
    assert window is not None and window.start_time is not None and window.end_time is not None
    assert window.start_time > window.end_time
    assert plain.actions_definition is not None
    reboot, log, quarantine = (a.action_params for a in plain.actions_definition)
    assert reboot is not None and reboot.model_dump(exclude_none=True) == {}
    assert log is not None and log.enable_iot_logging_params is not None
    assert log.enable_iot_logging_params.log_level == "TRACE"
    assert log.publish_finding_to_sns_params is not None
    assert quarantine is not None and quarantine.add_things_to_thing_group_params is not None
    assert len(quarantine.add_things_to_thing_group_params.thing_group_names or []) == 12


def test_known_enum_values_become_members_at_every_depth() -> None:
    payload = {
        "taskStatus": "FAILED",
        "actionsDefinition": [
            {"actionParams": {"enableIoTLoggingParams": {"logLevel": "WARN"}}},
        ],
    }
    for summary in _every_parse(payload):
        assert summary.task_status is DetectMitigationActionsTaskStatus.FAILED
        assert summary.actions_definition is not None
        params = summary.actions_definition[0].action_params
        assert params is not None and params.enable_iot_logging_params is not None
        assert params.enable_iot_logging_params.log_level is LogLevel.WARN


def test_a_describe_answer_with_epoch_seconds_parses_as_json_and_as_a_dict() -> None:
    wire = '{"taskSummary": {"taskId": "t", "taskStartTime": 1767225600.123,'
    wire += ' "violationEventOccurrenceRange": {"startTime": 1767225600, "endTime": 1767229200}}}'
    as_dict = DetectMitigationActionsTaskSummary.model_validate(json.loads(wire)["taskSummary"])
    as_json = DetectMitigationActionsTaskSummary.model_validate_json(
        json.dumps(json.loads(wire)["taskSummary"])
    )
    assert as_dict == as_json
    assert as_dict.task_start_time == datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert as_dict.violation_event_occurrence_range is not None
    assert as_dict.violation_event_occurrence_range.end_time == datetime(2026, 1, 1, 1, tzinfo=UTC)


def _round_trips(summary: DetectMitigationActionsTaskSummary) -> None:
    model = DetectMitigationActionsTaskSummary
    assert model.model_validate(summary.model_dump()) == summary
    assert model.model_validate(summary.model_dump(by_alias=False)) == summary
    assert model.model_validate(summary.model_dump(mode="json")) == summary
    assert model.model_validate_json(summary.model_dump_json()) == summary


def test_the_grown_summary_round_trips() -> None:
    _round_trips(DetectMitigationActionsTaskSummary.model_validate(GROWN))


moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
texts = st.text(max_size=20)
statuses = st.sampled_from([*DetectMitigationActionsTaskStatus, "PAUSED", ""])


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


action_params = st.fixed_dictionaries(
    {},
    optional={
        "addThingsToThingGroupParams": st.fixed_dictionaries(
            {"thingGroupNames": st.lists(texts, max_size=12)},
            optional={"overrideDynamicGroups": st.booleans()},
        ),
        "enableIoTLoggingParams": st.fixed_dictionaries(
            {"logLevel": st.sampled_from([*LogLevel, "TRACE"]), "roleArnForLogging": texts}
        ),
        "updateCACertificateParams": st.fixed_dictionaries(
            {"action": st.sampled_from(["DEACTIVATE", "REVOKE"])}
        ),
        "someFutureParams": st.dictionaries(texts, texts, max_size=2),
    },
)

summaries = st.fixed_dictionaries(
    {},
    optional={
        "taskId": texts,
        "taskStatus": statuses,
        "taskStartTime": moments,
        "taskEndTime": _optional(moments),
        "target": st.fixed_dictionaries(
            {},
            optional={
                "violationIds": st.lists(texts, max_size=30),
                "securityProfileName": texts,
                "behaviorName": texts,
            },
        ),
        "violationEventOccurrenceRange": st.fixed_dictionaries(
            {"startTime": moments, "endTime": moments}
        ),
        "onlyActiveViolationsIncluded": st.booleans(),
        "suppressedAlertsIncluded": st.booleans(),
        "actionsDefinition": st.lists(
            st.fixed_dictionaries(
                {}, optional={"name": texts, "id": texts, "actionParams": action_params}
            ),
            max_size=6,
        ),
        "taskStatistics": st.fixed_dictionaries(
            {},
            optional={
                "actionsExecuted": st.integers(0, 10**6),
                "actionsFailed": st.integers(0, 10**6),
            },
        ),
    },
)


@given(summaries)
def test_any_summary_aws_may_send_parses_alike_and_round_trips(payload: dict[str, Any]) -> None:
    wire = json.loads(json.dumps(payload, default=lambda moment: moment.timestamp()))
    parsed = _every_parse(wire)
    assert parsed[0] == parsed[1] == parsed[2]
    assert DetectMitigationActionsTaskSummary.model_validate(payload) == parsed[0]
    _round_trips(parsed[0])


@pytest.mark.parametrize("status", list(DetectMitigationActionsTaskStatus))
def test_terminal_is_read_from_the_status_however_parsed(
    status: DetectMitigationActionsTaskStatus,
) -> None:
    expected = status is not DetectMitigationActionsTaskStatus.IN_PROGRESS
    for summary in _every_parse({"taskStatus": status.value}):
        assert summary.is_terminal is expected


@contextmanager
def local_zone(posix_tz: str) -> Iterator[None]:
    """The process's local zone, as TZ names it (a POSIX rule: no zone database needed)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = posix_tz
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize(
    "posix_tz",
    [
        "UTC0",
        "IST-5:30",  # a fixed offset
        "CET-1CEST,M3.5.0,M10.5.0/3",  # daylight saving time
        "NST3:30NDT,M3.2.0,M11.1.0",
    ],
)
@given(moment=st.floats(min_value=-2e9, max_value=4e9))
def test_timestamps_botocore_parses_in_local_time_are_read_in_utc(
    posix_tz: str, moment: float
) -> None:
    with local_zone(posix_tz):
        parsed = parse_timestamp(repr(moment))  # botocore's parser: the local zone
        execution = DetectMitigationActionExecution.model_validate(
            {"executionStartDate": parsed, "executionEndDate": parsed.astimezone(UTC)}
        )

    for read in (execution.execution_start_date, execution.execution_end_date):
        assert read == datetime.fromtimestamp(moment, UTC)
        assert read is not None and read.tzinfo is UTC and read.fold == 0
