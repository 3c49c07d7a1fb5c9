"""The models against botocore's own ``iot`` service model, walked rather than copied."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, Shape, StringShape, StructureShape
from botocore.validate import ParamValidator
from pydantic import BaseModel, ValidationError

import iot_detect_mitigation as pkg

SERVICE = botocore.session.get_session().get_service_model("iot")

# A model is named after its AWS shape; the lenient answer-side twin of a shape that a caller
# also builds carries the suffix "Output", as boto3's type stubs name them.
SHAPE_MODELS: dict[str, type[BaseModel]] = {
    name: obj
    for name in pkg.__all__
    if isinstance(obj := getattr(pkg, name), type)
    and issubclass(obj, BaseModel)
    and name.removesuffix("Output") in SERVICE.shape_names
}

# Valid examples of the shapes a caller builds (test data, not constraints).
VALID: dict[str, dict[str, Any]] = {
    "StartDetectMitigationActionsTaskRequest": {
        "taskId": "task-1",
        "target": {"violationIds": ["v-1"]},
        "actions": ["quarantine"],
        "violationEventOccurrenceRange": {
            "startTime": datetime(2026, 1, 1, tzinfo=UTC),
            "endTime": datetime(2026, 1, 2, tzinfo=UTC),
        },
        "includeOnlyActiveViolations": True,
        "includeSuppressedAlerts": False,
        "clientRequestToken": "token-1",
    },
    "DescribeDetectMitigationActionsTaskRequest": {"taskId": "task-1"},
    "CancelDetectMitigationActionsTaskRequest": {"taskId": "task-1"},
    "ListDetectMitigationActionsExecutionsRequest": {
        "taskId": "task-1",
        "violationId": "v-1",
        "thingName": "sensor",
        "maxResults": 250,
        "nextToken": "token",
    },
    "ListDetectMitigationActionsTasksRequest": {
        "startTime": datetime(2026, 1, 1, tzinfo=UTC),
        "endTime": datetime(2026, 1, 2, tzinfo=UTC),
        "maxResults": 1,
        "nextToken": "token",
    },
    "DetectMitigationActionsTaskTarget": {
        "violationIds": ["v-1"],
        "securityProfileName": "profile",
        "behaviorName": "behavior",
    },
    "ViolationEventOccurrenceRange": {
        "startTime": datetime(2026, 1, 1, tzinfo=UTC),
        "endTime": datetime(2026, 1, 2, tzinfo=UTC),
    },
}
REQUEST_SHAPES = sorted(VALID)
RESPONSE_SHAPES = sorted(set(SHAPE_MODELS) - set(REQUEST_SHAPES))
INVALID_CHARS = " _/.é*:\n"


def test_every_shape_the_issue_names_has_a_model() -> None:
    assert set(RESPONSE_SHAPES) == {
        "DetectMitigationActionsTaskSummary",
        "DetectMitigationActionsTaskStatistics",
        "DetectMitigationActionExecution",
        "DetectMitigationActionsTaskTargetOutput",
        "ViolationEventOccurrenceRangeOutput",
        "MitigationAction",
        "MitigationActionParams",
        "UpdateDeviceCertificateParams",
        "UpdateCACertificateParams",
        "AddThingsToThingGroupParams",
        "ReplaceDefaultPolicyVersionParams",
        "EnableIoTLoggingParams",
        "PublishFindingToSnsParams",
    }


@pytest.mark.parametrize("model_name", sorted(SHAPE_MODELS))
def test_aliases_are_exactly_the_shape_members(model_name: str) -> None:
    shape = SERVICE.shape_for(model_name.removesuffix("Output"))
    assert isinstance(shape, StructureShape)
    aliases = {field.alias for field in SHAPE_MODELS[model_name].model_fields.values()}
    assert aliases == set(shape.members)


@pytest.mark.parametrize("model_name", RESPONSE_SHAPES)
def test_answers_may_leave_out_any_member(model_name: str) -> None:
    model = SHAPE_MODELS[model_name]
    assert not [field for field in model.model_fields.values() if field.is_required()]
    assert model.model_validate({}) == model.model_validate_json("{}")


@pytest.mark.parametrize("shape_name", REQUEST_SHAPES)
def test_required_members_are_required(shape_name: str) -> None:
    shape = SERVICE.shape_for(shape_name)
    assert isinstance(shape, StructureShape)
    fields = {f.alias: f for f in SHAPE_MODELS[shape_name].model_fields.values()}
    for member in shape.required_members:
        assert fields[member].is_required(), f"{shape_name}.{member} should be required"


def test_enums_match_the_service_model() -> None:
    for enum, shape_name in [
        (pkg.DetectMitigationActionsTaskStatus, "DetectMitigationActionsTaskStatus"),
        (pkg.DetectMitigationActionExecutionStatus, "DetectMitigationActionExecutionStatus"),
        (pkg.LogLevel, "LogLevel"),
        (pkg.DeviceCertificateUpdateAction, "DeviceCertificateUpdateAction"),
        (pkg.CACertificateUpdateAction, "CACertificateUpdateAction"),
        (pkg.PolicyTemplateName, "PolicyTemplateName"),
    ]:
        shape = SERVICE.shape_for(shape_name)
        assert isinstance(shape, StringShape)
        assert [member.value for member in enum] == shape.enum


def _valid_char(pattern: str | None) -> str:
    return next(c for c in "aZ09" if pattern is None or re.fullmatch(pattern, c))


def _invalid_chars(pattern: str) -> list[str]:
    return [c for c in INVALID_CHARS if not re.fullmatch(pattern, c)]


def _string_cases(shape: Shape) -> list[tuple[str, bool, str]]:
    """(value, accepted?, rule) for a string shape's bounds, pattern and enum."""
    meta, pattern = shape.metadata, shape.metadata.get("pattern")
    cases: list[tuple[str, bool, str]] = []
    if isinstance(shape, StringShape) and shape.enum:
        return [(shape.enum[0], True, "enum"), ("NOT_A_MEMBER", False, "enum")]
    char = _valid_char(pattern)
    if "max" in meta:
        cases += [(char * meta["max"], True, "max"), (char * (meta["max"] + 1), False, "max")]
    if "min" in meta:
        cases.append((char * meta["min"], True, "min"))
        if meta["min"] > 0:
            cases.append((char * (meta["min"] - 1), False, "min"))
    if pattern:
        # A bad character alone and after a good prefix: the pattern holds for the whole value.
        for bad in _invalid_chars(pattern):
            cases += [(bad, False, "pattern"), (char + bad, False, "pattern")]
    return cases


def _cases(shape: Shape) -> list[tuple[Any, bool, str]]:
    if isinstance(shape, ListShape):
        meta, element = shape.metadata, shape.member
        cases: list[tuple[Any, bool, str]] = []
        if "max" in meta:
            # Distinct items: a list of action names must not repeat one.
            distinct = [_valid_char(element.metadata.get("pattern")) * n for n in range(1, 99)]
            cases += [
                (distinct[: meta["max"]], True, "list max"),
                (distinct[: meta["max"] + 1], False, "list max"),
            ]
        if meta.get("min", 0) > 0:
            cases.append(([], False, "list min"))
        cases += [([value], ok, f"element {rule}") for value, ok, rule in _string_cases(element)]
        return cases
    if shape.type_name == "string":
        return list(_string_cases(shape))
    if shape.type_name == "integer":
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        bounds = [(low, True, "min"), (low - 1, False, "min")] if low is not None else []
        return bounds + ([(high, True, "max"), (high + 1, False, "max")] if high else [])
    return []


CONSTRAINT_CASES = [
    pytest.param(shape_name, member, value, ok, id=f"{shape_name}.{member}-{rule}-{ok}")
    for shape_name in REQUEST_SHAPES
    for member, member_shape in SERVICE.shape_for(shape_name).members.items()  # type: ignore[attr-defined]  # botocore's Shape base has no members; these are structures
    for value, ok, rule in _cases(member_shape)
]


@pytest.mark.parametrize(("shape_name", "member", "value", "accepted"), CONSTRAINT_CASES)
def test_every_constraint_is_enforced(
    shape_name: str, member: str, value: Any, accepted: bool
) -> None:
    model = SHAPE_MODELS[shape_name]
    data = {**VALID[shape_name], member: value}
    if accepted:
        model.model_validate(data)
        return
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    # The error names the member (by its AWS name, as it was given) and the rule.
    assert any(member in map(str, error["loc"]) for error in caught.value.errors())


def test_the_constraint_walk_covers_the_issue_list() -> None:
    covered = {(param.values[0], param.values[1]) for param in CONSTRAINT_CASES}
    for pair in [
        ("StartDetectMitigationActionsTaskRequest", "taskId"),
        ("StartDetectMitigationActionsTaskRequest", "actions"),
        ("StartDetectMitigationActionsTaskRequest", "clientRequestToken"),
        ("DetectMitigationActionsTaskTarget", "violationIds"),
        ("DetectMitigationActionsTaskTarget", "securityProfileName"),
        ("DetectMitigationActionsTaskTarget", "behaviorName"),
        ("ListDetectMitigationActionsExecutionsRequest", "maxResults"),
        ("ListDetectMitigationActionsExecutionsRequest", "thingName"),
        ("ListDetectMitigationActionsTasksRequest", "maxResults"),
        ("CancelDetectMitigationActionsTaskRequest", "taskId"),
    ]:
        assert pair in covered


@pytest.mark.parametrize("shape_name", REQUEST_SHAPES)
def test_valid_dumps_pass_botocores_validation(shape_name: str) -> None:
    instance = SHAPE_MODELS[shape_name].model_validate(VALID[shape_name])
    report = ParamValidator().validate(
        instance.model_dump(exclude_none=True), SERVICE.shape_for(shape_name)
    )
    assert not report.has_errors(), report.generate_report()
