"""Pydantic models of the AWS shapes, named as in botocore's ``iot`` service model.

Two configurations, one per direction:

* shapes a caller builds (requests, their target and time range) are strict, frozen and forbid
  unknown fields, and enforce every constraint of the service model plus the rules AWS applies
  but does not publish as constraints;
* shapes AWS sends back are lenient however they are parsed (``model_validate``,
  ``model_validate_json``, ``from_aws``): unknown members are ignored, every member may be
  missing, no request rule applies, and an enum value this version does not know is kept as
  the string AWS sent. A target and a time range appear in both directions, so the answer side
  has its own lenient ``...Output`` models, as boto3's type stubs name them.

Field names are snake_case; the AWS member names are aliases, and both are accepted as input.
``model_dump()`` gives the AWS names.
"""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

# The service model's patterns are unanchored, but AWS validates the whole value: anchor them.
_TASK_ID_PATTERN = r"^[a-zA-Z0-9_-]+$"
TaskId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_TASK_ID_PATTERN)]
# The same rule for a quick yes (fullmatch: ``$`` must not accept a trailing newline).
_PLAINLY_VALID_TASK_ID = re.compile(_TASK_ID_PATTERN)
ViolationId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9\-]+$")
]
ProfileOrBehaviorName = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9:_-]+$")
]
MitigationActionName = Annotated[
    str, StringConstraints(max_length=128, pattern=r"^[a-zA-Z0-9_-]+$")
]
ThingName = Annotated[str, StringConstraints(min_length=1, max_length=128)]
PageSize = Annotated[int, Field(ge=1, le=250)]
ClientRequestToken = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9-_]+$")
]


def _on_the_wire(value: datetime) -> datetime:
    """botocore sends epoch seconds of the UTC instant; some aware values have none."""
    try:
        value.astimezone(UTC).timestamp()
    except (OverflowError, ValueError, OSError):
        raise ValueError("must be a moment that can be expressed in UTC (years 1-9999)") from None
    return value


WireTimestamp = Annotated[AwareDatetime, AfterValidator(_on_the_wire)]
"""A timezone-aware moment botocore can send."""


def _distinct(names: list[str]) -> list[str]:
    if len(set(names)) == len(names):  # every start checks this: the quick yes first
        return names
    repeated = sorted({name for name in names if names.count(name) > 1})
    raise ValueError(f"must not repeat an action, AWS records each once: {', '.join(repeated)}")


def _as_utc(value: datetime) -> datetime:
    """botocore parses timestamps into the machine's local zone; UTC is what AWS means."""
    zone = value.tzinfo
    if zone is UTC:  # runs for every timestamp of every answer: nothing to do is the common case
        return value
    if zone is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


ResponseTimestamp = Annotated[datetime, AfterValidator(_as_utc)]


class DetectMitigationActionsTaskStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class DetectMitigationActionExecutionStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class DeviceCertificateUpdateAction(StrEnum):
    DEACTIVATE = "DEACTIVATE"


class CACertificateUpdateAction(StrEnum):
    DEACTIVATE = "DEACTIVATE"


class PolicyTemplateName(StrEnum):
    BLANK_POLICY = "BLANK_POLICY"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    ERROR = "ERROR"
    WARN = "WARN"
    DISABLED = "DISABLED"


# Open enums: a known value becomes the member, an unknown one stays the string AWS sent.
# pydantic's left-to-right union does it in its core, with no Python validator.
OpenTaskStatus = Annotated[
    DetectMitigationActionsTaskStatus | str, Field(union_mode="left_to_right")
]
OpenExecutionStatus = Annotated[
    DetectMitigationActionExecutionStatus | str, Field(union_mode="left_to_right")
]
OpenDeviceCertificateUpdateAction = Annotated[
    DeviceCertificateUpdateAction | str, Field(union_mode="left_to_right")
]
OpenCACertificateUpdateAction = Annotated[
    CACertificateUpdateAction | str, Field(union_mode="left_to_right")
]
OpenPolicyTemplateName = Annotated[PolicyTemplateName | str, Field(union_mode="left_to_right")]
OpenLogLevel = Annotated[LogLevel | str, Field(union_mode="left_to_right")]


class _RequestShape(BaseModel):
    """A shape callers build, checked against every constraint of the service model."""

    # Written out, not shared, so that pydantic's mypy plugin sees validate_by_name.
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        defer_build=True,
        strict=True,
        extra="forbid",
    )


class _ResponseShape(BaseModel):
    """A shape AWS sends: lenient, so that what AWS adds later does not break parsing."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        defer_build=True,
        extra="ignore",
    )

    @classmethod
    def from_aws(cls, payload: Any) -> Self:
        """Parse what AWS sent; the same as ``model_validate``, kept for readability."""
        return cls.model_validate(payload)


class DetectMitigationActionsTaskTarget(_RequestShape):
    """What a task mitigates: listed violations, or the violations of a security profile."""

    violation_ids: Annotated[list[ViolationId], Field(min_length=1, max_length=25)] | None = None
    """The violations to mitigate (1-25 ids)."""
    security_profile_name: ProfileOrBehaviorName | None = None
    """Mitigate the violations of this security profile."""
    behavior_name: ProfileOrBehaviorName | None = None
    """Narrow a security-profile target to one of its behaviors."""

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if self.violation_ids is None and self.security_profile_name is None:
            raise ValueError("a target needs violation_ids or security_profile_name")
        if self.behavior_name is not None and self.security_profile_name is None:
            raise ValueError("behavior_name needs security_profile_name")
        return self


class ViolationEventOccurrenceRange(_RequestShape):
    """The window in which the violations to mitigate occurred. Both ends are inclusive."""

    start_time: WireTimestamp
    """Start of the window; timezone-aware, so that it means the same instant everywhere."""
    end_time: WireTimestamp
    """End of the window; timezone-aware, not before ``start_time``."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ordered_range(self.start_time, self.end_time)
        return self


class StartDetectMitigationActionsTaskRequest(_RequestShape):
    """Everything ``StartDetectMitigationActionsTask`` sends, validated before it is sent."""

    task_id: TaskId
    """Unique id of the task; it also names the task in describe, list and cancel."""
    target: DetectMitigationActionsTaskTarget
    """The violations to mitigate."""
    actions: Annotated[
        list[MitigationActionName], Field(min_length=1, max_length=5), AfterValidator(_distinct)
    ]
    """Names of 1-5 distinct mitigation actions to apply to each violation."""
    violation_event_occurrence_range: ViolationEventOccurrenceRange | None = None
    """Only mitigate violations that occurred in this window."""
    include_only_active_violations: bool | None = None
    """Only mitigate violations that are still active (omitted: false)."""
    include_suppressed_alerts: bool | None = None
    """Also mitigate violations whose alerts are suppressed (omitted: false)."""
    client_request_token: ClientRequestToken
    """Idempotency token; every retry of one logical start sends the same token."""

    def to_boto3(self) -> dict[str, Any]:
        """The keyword arguments of ``iot.start_detect_mitigation_actions_task``.

        For a validated request, the same as ``model_dump(exclude_none=True)``, written out:
        pydantic's serializer was the largest cost of a start on a client the library built
        (benchmarks/README.md).
        """
        target, window = self.target, self.violation_event_occurrence_range
        wanted: dict[str, Any] = {}
        if target.violation_ids is not None:
            wanted["violationIds"] = list(target.violation_ids)
        if target.security_profile_name is not None:
            wanted["securityProfileName"] = target.security_profile_name
        if target.behavior_name is not None:
            wanted["behaviorName"] = target.behavior_name
        params: dict[str, Any] = {
            "taskId": self.task_id,
            "target": wanted,
            "actions": list(self.actions),
        }
        if window is not None:
            params["violationEventOccurrenceRange"] = {
                "startTime": window.start_time,
                "endTime": window.end_time,
            }
        if self.include_only_active_violations is not None:
            params["includeOnlyActiveViolations"] = self.include_only_active_violations
        if self.include_suppressed_alerts is not None:
            params["includeSuppressedAlerts"] = self.include_suppressed_alerts
        params["clientRequestToken"] = self.client_request_token
        return params


class DescribeDetectMitigationActionsTaskRequest(_RequestShape):
    """What ``DescribeDetectMitigationActionsTask`` sends."""

    task_id: TaskId

    def to_boto3(self) -> dict[str, Any]:
        """The keyword arguments of ``iot.describe_detect_mitigation_actions_task``."""
        return {"taskId": self.task_id}  # one member: cheaper than a dump


def describe_params(task_id: str) -> dict[str, Any]:
    """``DescribeDetectMitigationActionsTaskRequest(task_id=task_id).to_boto3()``, made cheap.

    Describe is the call a wait repeats, and building a model costs more than the check: a
    plainly valid id is checked here, any other goes through the model, which raises its error.
    """
    if type(task_id) is str and len(task_id) <= 128 and _PLAINLY_VALID_TASK_ID.fullmatch(task_id):
        return {"taskId": task_id}
    return DescribeDetectMitigationActionsTaskRequest(task_id=task_id).to_boto3()


class CancelDetectMitigationActionsTaskRequest(_RequestShape):
    """What ``CancelDetectMitigationActionsTask`` sends."""

    task_id: TaskId

    def to_boto3(self) -> dict[str, Any]:
        """The keyword arguments of ``iot.cancel_detect_mitigation_actions_task``."""
        return {"taskId": self.task_id}


def _ordered_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError("start_time must not be after end_time")


class ListDetectMitigationActionsExecutionsRequest(_RequestShape):
    """What ``ListDetectMitigationActionsExecutions`` sends for one page.

    AWS requires either a task id or a whole time range (both ends), never both.
    """

    task_id: TaskId | None = None
    """List the executions of this task."""
    violation_id: ViolationId | None = None
    """Only the executions for this violation."""
    thing_name: ThingName | None = None
    """Only the executions on this thing."""
    start_time: WireTimestamp | None = None
    """List the executions that started at or after this moment (with ``end_time``)."""
    end_time: WireTimestamp | None = None
    """... and at or before this one."""
    max_results: PageSize | None = None
    """Executions per page, 1-250 (AWS's default is 25)."""
    next_token: str | None = None

    @model_validator(mode="after")
    def _task_or_range(self) -> Self:
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both start_time and end_time, or neither")
        if (self.task_id is None) == (self.start_time is None):
            raise ValueError("give either task_id or a time range (start_time and end_time)")
        _ordered_range(self.start_time, self.end_time)
        return self


class ListDetectMitigationActionsTasksRequest(_RequestShape):
    """What ``ListDetectMitigationActionsTasks`` sends for one page."""

    start_time: WireTimestamp
    """List the tasks that started at or after this moment ..."""
    end_time: WireTimestamp
    """... and at or before this one."""
    max_results: PageSize | None = None
    """Tasks per page, 1-250."""
    next_token: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ordered_range(self.start_time, self.end_time)
        return self


class DetectMitigationActionsTaskTargetOutput(_ResponseShape):
    """A task's target as AWS reports it: ``DetectMitigationActionsTaskTarget``, leniently."""

    violation_ids: list[str] | None = None
    security_profile_name: str | None = None
    behavior_name: str | None = None


class ViolationEventOccurrenceRangeOutput(_ResponseShape):
    """A task's window as AWS reports it: ``ViolationEventOccurrenceRange``, leniently."""

    start_time: ResponseTimestamp | None = None
    end_time: ResponseTimestamp | None = None


class DetectMitigationActionsTaskStatistics(_ResponseShape):
    """How many (violation, action) executions ran, were skipped or failed."""

    actions_executed: int | None = None
    actions_skipped: int | None = None
    actions_failed: int | None = None


class UpdateDeviceCertificateParams(_ResponseShape):
    action: OpenDeviceCertificateUpdateAction | None = None


class UpdateCACertificateParams(_ResponseShape):
    action: OpenCACertificateUpdateAction | None = None


class AddThingsToThingGroupParams(_ResponseShape):
    thing_group_names: list[str] | None = None
    """The groups the violating things are added to (quarantine)."""
    override_dynamic_groups: bool | None = None


class ReplaceDefaultPolicyVersionParams(_ResponseShape):
    template_name: OpenPolicyTemplateName | None = None


class EnableIoTLoggingParams(_ResponseShape):
    role_arn_for_logging: str | None = None
    log_level: OpenLogLevel | None = None


class PublishFindingToSnsParams(_ResponseShape):
    topic_arn: str | None = None


class MitigationActionParams(_ResponseShape):
    """The parameters of a mitigation action: one of the six kinds AWS defines.

    A kind this version does not know is ignored, so parsing does not break when AWS adds one;
    all six fields are then ``None``.
    """

    update_device_certificate_params: UpdateDeviceCertificateParams | None = None
    update_ca_certificate_params: UpdateCACertificateParams | None = Field(
        default=None, alias="updateCACertificateParams"
    )
    add_things_to_thing_group_params: AddThingsToThingGroupParams | None = None
    replace_default_policy_version_params: ReplaceDefaultPolicyVersionParams | None = None
    enable_iot_logging_params: EnableIoTLoggingParams | None = Field(
        default=None, alias="enableIoTLoggingParams"
    )
    publish_finding_to_sns_params: PublishFindingToSnsParams | None = None


class MitigationAction(_ResponseShape):
    """A mitigation action as the task defined it (an ``actionsDefinition`` entry)."""

    name: str | None = None
    id: str | None = None
    role_arn: str | None = None
    action_params: MitigationActionParams | None = None


class DetectMitigationActionsTaskSummary(_ResponseShape):
    """The state of a task, as ``DescribeDetectMitigationActionsTask`` returns it."""

    task_id: str | None = None
    task_status: OpenTaskStatus | None = None
    """IN_PROGRESS, SUCCESSFUL, FAILED or CANCELED; an unknown status is kept as a string."""
    task_start_time: ResponseTimestamp | None = None
    task_end_time: ResponseTimestamp | None = None
    """Set once the task has ended."""
    target: DetectMitigationActionsTaskTargetOutput | None = None
    violation_event_occurrence_range: ViolationEventOccurrenceRangeOutput | None = None
    only_active_violations_included: bool | None = None
    suppressed_alerts_included: bool | None = None
    actions_definition: list[MitigationAction] | None = None
    """The mitigation actions the task applies, as they were defined when it started."""
    task_statistics: DetectMitigationActionsTaskStatistics = Field(
        default_factory=DetectMitigationActionsTaskStatistics
    )
    """Execution counts; all ``None`` until AWS reports them."""

    @property
    def is_terminal(self) -> bool:
        """Whether the task has ended: SUCCESSFUL, FAILED or CANCELED."""
        return self.task_status in _TERMINAL


_TERMINAL = frozenset(
    {
        DetectMitigationActionsTaskStatus.SUCCESSFUL,
        DetectMitigationActionsTaskStatus.FAILED,
        DetectMitigationActionsTaskStatus.CANCELED,
    }
)


class DetectMitigationActionExecution(_ResponseShape):
    """One mitigation action applied to one violation: which thing, and how it went.

    Only ``ListDetectMitigationActionsExecutions`` says which thing failed and why; a task
    summary gives counts.
    """

    task_id: str | None = None
    violation_id: str | None = None
    action_name: str | None = None
    thing_name: str | None = None
    """The thing the action was applied to."""
    execution_start_date: ResponseTimestamp | None = None
    execution_end_date: ResponseTimestamp | None = None
    status: OpenExecutionStatus | None = None
    """IN_PROGRESS, SUCCESSFUL, FAILED or SKIPPED; an unknown status is kept as a string."""
    error_code: str | None = None
    """Why the execution failed, as AWS names it."""
    message: str | None = None
    """What AWS said about the failure."""


class MitigationResult(_ResponseShape):
    """What ``mitigate_violations`` did: every task's final summary and every execution."""

    tasks: list[DetectMitigationActionsTaskSummary] = Field(default_factory=list)
    """The final summary of each task, in the order they were planned."""
    executions: list[DetectMitigationActionExecution] = Field(default_factory=list)
    """Every execution of those tasks: one per (violation, action)."""
    pending_violation_ids: list[str] = Field(default_factory=list)
    """Violations whose task never started (only in a timeout's partial result)."""

    @property
    def failed_executions(self) -> list[DetectMitigationActionExecution]:
        """The executions that FAILED: which thing, which action, the error code and message."""
        failed = DetectMitigationActionExecutionStatus.FAILED
        return [execution for execution in self.executions if execution.status == failed]

    @property
    def succeeded(self) -> bool:
        """Whether every task ended SUCCESSFUL, no execution failed and no violation was left."""
        successful = DetectMitigationActionsTaskStatus.SUCCESSFUL
        return (
            not self.pending_violation_ids
            and not self.failed_executions
            and all(task.task_status == successful for task in self.tasks)
        )
