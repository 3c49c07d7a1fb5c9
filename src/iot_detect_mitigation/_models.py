"""Pydantic models of the AWS shapes, named as in botocore's ``iot`` service model.

Two configurations, one per direction:

* shapes a caller builds (the request, its target and time range) are strict, frozen and forbid
  unknown fields, and enforce every constraint of the service model plus the rules AWS applies
  but does not publish as constraints;
* shapes AWS sends back are lenient: unknown members are ignored, optional members may be missing
  and an enum value this version does not know is kept as the string AWS sent.

Field names are snake_case; the AWS member names are aliases, and both are accepted as input.
"""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel

# Validation context under which AWS responses are parsed: shapes shared by both directions then
# ignore members this version does not know instead of rejecting them.
FROM_AWS: dict[str, bool] = {"from_aws": True}

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
ThingGroupName = ProfileOrBehaviorName
MitigationActionName = Annotated[
    str, StringConstraints(max_length=128, pattern=r"^[a-zA-Z0-9_-]+$")
]
ClientRequestToken = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9-_]+$")
]
RoleArn = Annotated[str, StringConstraints(min_length=20, max_length=2048)]
SnsTopicArn = Annotated[str, StringConstraints(max_length=350)]


def _as_utc(value: datetime) -> datetime:
    """botocore parses timestamps into the machine's local zone; UTC is what AWS means."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


ResponseTimestamp = Annotated[datetime, AfterValidator(_as_utc)]


class DetectMitigationActionsTaskStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


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


E = TypeVar("E", bound=StrEnum)


def _from_aws(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("from_aws"))


def _open_enum(enum: type[E]) -> PlainValidator:
    """Known values become members; an unknown one is kept as the string AWS sent.

    Values a caller supplies must be known.
    """

    def parse(value: object, info: ValidationInfo) -> E | str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        try:
            return enum(value)
        except ValueError:
            if _from_aws(info):
                return value
            raise ValueError(f"must be one of {', '.join(enum)}") from None

    return PlainValidator(parse)


# Response-only, so always open; pydantic's own left-to-right union does it without Python code.
OpenTaskStatus = Annotated[
    DetectMitigationActionsTaskStatus | str, Field(union_mode="left_to_right")
]
OpenDeviceCertificateUpdateAction = Annotated[
    DeviceCertificateUpdateAction | str, _open_enum(DeviceCertificateUpdateAction)
]
OpenCACertificateUpdateAction = Annotated[
    CACertificateUpdateAction | str, _open_enum(CACertificateUpdateAction)
]
OpenPolicyTemplateName = Annotated[PolicyTemplateName | str, _open_enum(PolicyTemplateName)]
OpenLogLevel = Annotated[LogLevel | str, _open_enum(LogLevel)]


class _RequestShape(BaseModel):
    """A shape callers build, checked against every constraint of the service model.

    Parsed from AWS (``from_aws``), it ignores members and keeps enum values it does not know.
    """

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
    """A shape only AWS sends: lenient, so that what AWS adds later does not break parsing."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        defer_build=True,
        extra="ignore",
    )


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

    start_time: AwareDatetime
    """Start of the window; timezone-aware, so that it means the same instant everywhere."""
    end_time: AwareDatetime
    """End of the window; timezone-aware, not before ``start_time``."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start_time > self.end_time:
            raise ValueError("start_time must not be after end_time")
        return self


class StartDetectMitigationActionsTaskRequest(_RequestShape):
    """Everything ``StartDetectMitigationActionsTask`` sends, validated before it is sent."""

    task_id: TaskId
    """Unique id of the task; it also names the task in describe, list and cancel."""
    target: DetectMitigationActionsTaskTarget
    """The violations to mitigate."""
    actions: Annotated[list[MitigationActionName], Field(min_length=1, max_length=5)]
    """Names of 1-5 mitigation actions to apply to each violation."""
    violation_event_occurrence_range: ViolationEventOccurrenceRange | None = None
    """Only mitigate violations that occurred in this window."""
    include_only_active_violations: bool | None = None
    """Only mitigate violations that are still active."""
    include_suppressed_alerts: bool | None = None
    """Also mitigate violations whose alerts are suppressed."""
    client_request_token: ClientRequestToken
    """Idempotency token; every retry of one logical start sends the same token."""

    def to_boto3(self) -> dict[str, Any]:
        """The keyword arguments of ``iot.start_detect_mitigation_actions_task``.

        The same as ``model_dump(exclude_none=True)``, written out: pydantic's serializer was
        the largest cost of a start on a client the library built (benchmarks/README.md).
        """
        target, window = self.target, self.violation_event_occurrence_range
        return _present(
            taskId=self.task_id,
            target=_present(
                violationIds=None if target.violation_ids is None else list(target.violation_ids),
                securityProfileName=target.security_profile_name,
                behaviorName=target.behavior_name,
            ),
            actions=list(self.actions),
            violationEventOccurrenceRange=None
            if window is None
            else {"startTime": window.start_time, "endTime": window.end_time},
            includeOnlyActiveViolations=self.include_only_active_violations,
            includeSuppressedAlerts=self.include_suppressed_alerts,
            clientRequestToken=self.client_request_token,
        )


def _present(**members: Any) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value is not None}


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


class DetectMitigationActionsTaskStatistics(_ResponseShape):
    """How many (violation, action) executions ran, were skipped or failed."""

    actions_executed: int | None = None
    actions_skipped: int | None = None
    actions_failed: int | None = None


class UpdateDeviceCertificateParams(_RequestShape):
    action: OpenDeviceCertificateUpdateAction


class UpdateCACertificateParams(_RequestShape):
    action: OpenCACertificateUpdateAction


class AddThingsToThingGroupParams(_RequestShape):
    thing_group_names: Annotated[list[ThingGroupName], Field(min_length=1, max_length=10)]
    """The 1-10 groups the violating things are added to (quarantine)."""
    override_dynamic_groups: bool | None = None


class ReplaceDefaultPolicyVersionParams(_RequestShape):
    template_name: OpenPolicyTemplateName


class EnableIoTLoggingParams(_RequestShape):
    role_arn_for_logging: RoleArn
    log_level: OpenLogLevel


class PublishFindingToSnsParams(_RequestShape):
    topic_arn: SnsTopicArn


class MitigationActionParams(_RequestShape):
    """The parameters of a mitigation action: exactly one of the six kinds.

    Parsed from AWS, a kind this version does not know is ignored, so parsing does not break
    when AWS adds one; all six fields are then ``None``.
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

    @model_validator(mode="after")
    def _one_kind(self, info: ValidationInfo) -> Self:
        kinds = [name for name, value in self.__dict__.items() if value is not None]
        if len(kinds) > 1:
            raise ValueError(f"exactly one kind of parameters allowed, got {', '.join(kinds)}")
        if not kinds and not _from_aws(info):
            raise ValueError("exactly one kind of parameters required, got none")
        return self


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
    target: DetectMitigationActionsTaskTarget | None = None
    violation_event_occurrence_range: ViolationEventOccurrenceRange | None = None
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

    @classmethod
    def from_aws(cls, task_summary: Any) -> Self:
        """Parse the ``taskSummary`` member of a describe response, leniently.

        ``extra="ignore"`` overrides, for this validation only, the ``forbid`` of the shapes
        callers also build; the context lets their enums and rules accept what AWS may add.
        """
        return cls.model_validate(task_summary, extra="ignore", context=FROM_AWS)


_TERMINAL = frozenset(
    {
        DetectMitigationActionsTaskStatus.SUCCESSFUL,
        DetectMitigationActionsTaskStatus.FAILED,
        DetectMitigationActionsTaskStatus.CANCELED,
    }
)
