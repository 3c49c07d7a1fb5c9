"""The botocore IoT service model: the one source for shapes, constraints and error statuses."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import (
    ListShape,
    NoShapeFoundError,
    ServiceModel,
    Shape,
    StructureShape,
)

OPERATIONS: tuple[str, ...] = (
    "CreateMitigationAction",
    "DescribeMitigationAction",
    "ListMitigationActions",
    "DeleteMitigationAction",
    "StartDetectMitigationActionsTask",
    "DescribeDetectMitigationActionsTask",
    "ListDetectMitigationActionsTasks",
    "CancelDetectMitigationActionsTask",
    "ListDetectMitigationActionsExecutions",
)
"""The operations the emulator adds to moto's IoT service."""


@functools.cache
def service_model() -> ServiceModel:
    """Load the IoT model once; it is about 1 MiB of JSON."""
    return botocore.session.get_session().get_service_model("iot")


@functools.cache
def error_status(code: str) -> int:
    """The HTTP status the model gives error `code`; ValueError if the model has no such error."""
    try:
        shape = service_model().shape_for(code)
    except NoShapeFoundError as exc:
        raise ValueError(f"the IoT service model has no error {code!r}") from exc
    error = shape.metadata.get("error") if shape.metadata.get("exception") else None
    if not isinstance(error, Mapping):
        raise ValueError(f"{code!r} is not an error shape of the IoT service model")
    return int(error["httpStatusCode"])


def check_operation(operation: str) -> str:
    """Reject names of operations the emulator does not add, so typos fail loudly."""
    if operation not in OPERATIONS:
        raise ValueError(
            f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}"
        )
    return operation


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # e.g. \p{L} in tag keys: Python's re has no Unicode classes
        return None


def validation_errors(operation: str, params: Mapping[str, Any]) -> list[str]:
    """Every constraint of the operation's input shape that `params` breaks, in AWS's wording."""
    shape = service_model().operation_model(operation).input_shape
    errors: list[str] = []
    if shape is not None:
        _check(shape, params, "", errors)
    return errors


def _fail(errors: list[str], value: object, path: str, constraint: str) -> None:
    errors.append(f"Value {value!r} at '{path}' failed to satisfy constraint: {constraint}")


def _check(shape: Shape, value: object, path: str, errors: list[str]) -> None:
    if isinstance(shape, StructureShape):
        _check_structure(shape, value, path, errors)
    elif isinstance(shape, ListShape):
        _check_list(shape, value, path, errors)
    else:
        _check_scalar(shape, value, path, errors)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_structure(shape: StructureShape, value: object, path: str, errors: list[str]) -> None:
    if not isinstance(value, Mapping):
        _fail(errors, value, path, "Member must be a structure")
        return
    for name in shape.required_members:
        if value.get(name) is None:
            _fail(errors, None, _join(path, name), "Member must not be null")
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(path, name), errors)


def _check_size(shape: Shape, size: int, value: object, path: str, errors: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        _fail(errors, value, path, f"Member must have length greater than or equal to {low}")
    if high is not None and size > high:
        _fail(errors, value, path, f"Member must have length less than or equal to {high}")


def _check_list(shape: ListShape, value: object, path: str, errors: list[str]) -> None:
    if not isinstance(value, list):
        _fail(errors, value, path, "Member must be a list")
        return
    _check_size(shape, len(value), value, path, errors)
    for item in value:
        _check(shape.member, item, _join(path, "member"), errors)


def _check_scalar(shape: Shape, value: object, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    if kind == "string":
        _check_string(shape, value, path, errors)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            _fail(errors, value, path, "Member must be a number")
            return
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            _fail(errors, value, path, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            _fail(errors, value, path, f"Member must have value less than or equal to {high}")
    elif kind == "boolean" and not isinstance(value, bool):
        _fail(errors, value, path, "Member must be a boolean")
    elif kind == "timestamp" and not isinstance(value, datetime):
        _fail(errors, value, path, "Member must be a timestamp")


def _check_string(shape: Shape, value: object, path: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        _fail(errors, value, path, "Member must be a string")
        return
    _check_size(shape, len(value), value, path, errors)
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        _fail(errors, value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
    pattern = shape.metadata.get("pattern")
    compiled = _compiled(pattern) if pattern else None
    # AWS matches the pattern against the whole value, though the model leaves most unanchored.
    if compiled is not None and compiled.fullmatch(value) is None:
        _fail(errors, value, path, f"Member must satisfy regular expression pattern: {pattern}")
