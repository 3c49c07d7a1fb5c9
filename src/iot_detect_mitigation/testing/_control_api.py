"""The emulator's controls over HTTP, under /_emulator/, for tests in any language.

Each endpoint validates its whole JSON body, then calls the same DetectMitigationEmulator
methods a Python test calls, so the two ways in cannot drift. A body is checked entirely before
anything changes: a bad member gets 400 and names it, and nothing is half applied.

- POST /_emulator/violations: one violation or a list (add_violation)
- POST /_emulator/controls: taskDuration, concurrentTaskQuota, rateLimit, failExecutions,
  clearExecutionFailures, faults, clearFaults
- POST /_emulator/reset: reset()
- GET /_emulator/state: tasks with their executions, violations, call counts

Every request takes ?region= (default us-east-1). Timestamps are ISO-8601 or epoch seconds.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pydantic_core
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iot.models import iot_backends
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ._controls import (
    check_count,
    check_error_code,
    check_quota,
    check_rate_limit,
    task_duration,
)
from ._emulator import DetectMitigationEmulator, check_violation_id
from ._model import check_operation
from ._records import Violation
from ._responses import execution_wire, task_summary

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_PREFIX = "/_emulator"
"""No AWS API path starts with it, so it cannot shadow an operation."""

DEFAULT_REGION = "us-east-1"

T = TypeVar("T")


class _Body(BaseModel):
    """A JSON body: camelCase members as in AWS's JSON, exact types, no unknown members.

    Field names are the handle's parameter names, so a body passes on as keyword arguments, and
    members left out keep the handle's defaults (`_default` shows them in the schema).
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, val_temporal_unit="seconds")

    def arguments(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def _default(method: Callable[..., Any], parameter: str) -> Any:
    """The handle's own default, so the body models keep no copy of it."""
    return inspect.signature(method).parameters[parameter].default


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, dict) else value


OneOrMany = Annotated[list[T], BeforeValidator(_one_or_many)]
"""A member that takes one object or a list of them."""


class ViolationBody(_Body):
    """A violation as POST /_emulator/violations takes it and GET /_emulator/state shows it."""

    violation_id: Annotated[str, AfterValidator(check_violation_id)] = Field(alias="violationId")
    thing_name: str = Field(alias="thingName")
    security_profile_name: str = Field(alias="securityProfileName")
    behavior_name: str = Field(alias="behaviorName")
    at: Annotated[datetime | None, Field(strict=False)] = None
    active: bool = _default(DetectMitigationEmulator.add_violation, "active")
    suppressed: bool = _default(DetectMitigationEmulator.add_violation, "suppressed")

    @classmethod
    def of(cls, violation: Violation) -> dict[str, Any]:
        """The stored violation in JSON, with `at` as ISO-8601."""
        return cls.model_construct(**dataclasses.asdict(violation)).model_dump(
            mode="json", by_alias=True
        )


_VIOLATION_LIST = TypeAdapter(list[ViolationBody])


class TaskDurationBody(_Body):
    describes: int | None = None
    seconds: float | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TaskDurationBody:
        task_duration(self.describes, self.seconds)
        return self


class FailExecutionsBody(_Body):
    thing_names: list[str] | None = Field(None, alias="thingNames")
    action_names: list[str] | None = Field(None, alias="actionNames")
    error_code: str = Field(
        _default(DetectMitigationEmulator.fail_executions, "error_code"), alias="errorCode"
    )
    message: str = _default(DetectMitigationEmulator.fail_executions, "message")


class FaultBody(_Body):
    operation: Annotated[str, AfterValidator(check_operation)]
    error_code: Annotated[str, AfterValidator(check_error_code)] = Field(alias="errorCode")
    count: Annotated[int, AfterValidator(check_count)] = _default(
        DetectMitigationEmulator.inject_fault, "count"
    )
    message: str | None = None


class ControlsBody(_Body):
    """Clears apply first, so one body can replace the faults or failure rules."""

    task_duration: TaskDurationBody | None = Field(None, alias="taskDuration")
    concurrent_task_quota: Annotated[int, AfterValidator(check_quota)] | None = Field(
        None, alias="concurrentTaskQuota"
    )
    rate_limit: Annotated[int, AfterValidator(check_rate_limit)] | None = Field(
        None, alias="rateLimit"
    )
    fail_executions: OneOrMany[FailExecutionsBody] | None = Field(None, alias="failExecutions")
    clear_execution_failures: bool = Field(False, alias="clearExecutionFailures")
    faults: OneOrMany[FaultBody] | None = None
    clear_faults: bool = Field(False, alias="clearFaults")


class BadRequest(Exception):
    """A 400 answer; `problems` pairs each member at fault with what is wrong with it."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{member}: {text}" for member, text in self.problems))


def _member(location: Iterable[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else part
    return path or "body"


def _validate(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except ValidationError as error:
        raise BadRequest(
            (
                _member(problem["loc"]),
                str(problem["ctx"]["error"])
                if problem["type"] == "value_error"
                else problem["msg"],
            )
            for problem in error.errors(include_url=False)
        ) from None


def _json_body(request: Request) -> Any:
    data = request.get_data()
    try:
        return json.loads(data)
    except ValueError as error:
        raise BadRequest([("body", f"expected JSON: {error}")]) from None


# The endpoints: each is the handle's methods, nothing more.


def add_violations(emulator: DetectMitigationEmulator, request: Request) -> dict[str, Any]:
    body = _json_body(request)
    if isinstance(body, list):
        violations = _validate(lambda: _VIOLATION_LIST.validate_python(body))
    elif isinstance(body, dict):
        violations = [_validate(lambda: ViolationBody.model_validate(body))]
    else:
        raise BadRequest([("body", "expected a violation object or a list of them")])
    stored = [emulator.add_violation(**violation.arguments()) for violation in violations]
    return {"violations": [ViolationBody.of(violation) for violation in stored]}


def set_controls(emulator: DetectMitigationEmulator, request: Request) -> dict[str, Any]:
    body = _json_body(request)
    controls = _validate(lambda: ControlsBody.model_validate(body))
    if controls.clear_execution_failures:
        emulator.clear_execution_failures()
    if controls.clear_faults:
        emulator.clear_faults()
    if controls.task_duration is not None:
        emulator.set_task_duration(**controls.task_duration.arguments())
    if controls.concurrent_task_quota is not None:
        emulator.set_concurrent_task_quota(controls.concurrent_task_quota)
    if "rate_limit" in controls.model_fields_set:
        emulator.set_rate_limit(controls.rate_limit)
    for rule in controls.fail_executions or []:
        emulator.fail_executions(**rule.arguments())
    for fault in controls.faults or []:
        emulator.inject_fault(**fault.arguments())
    return {}


def reset(emulator: DetectMitigationEmulator, request: Request) -> dict[str, Any]:
    emulator.reset()
    return {}


def state(emulator: DetectMitigationEmulator, request: Request) -> dict[str, Any]:
    """What the handle reads, in the shapes AWS uses for tasks and executions."""
    return {
        "region": emulator.region_name,
        "tasks": [
            {
                **task_summary(task),
                "executions": [execution_wire(e) for e in emulator.executions(task_id)],
            }
            for task_id, task in emulator.tasks.items()
        ],
        "violations": [ViolationBody.of(violation) for violation in emulator.violations.values()],
        "callCounts": dict(emulator.call_counts),
        "throttledCount": emulator.throttled_count,
    }


Endpoint = Callable[[DetectMitigationEmulator, Request], dict[str, Any]]

ENDPOINTS: dict[str, tuple[str, Endpoint]] = {
    "/violations": ("POST", add_violations),
    "/controls": ("POST", set_controls),
    "/reset": ("POST", reset),
    "/state": ("GET", state),
}
"""Path under CONTROL_PREFIX: (method, endpoint)."""

_ROUTES = Map(
    [Rule(path, methods=[method], endpoint=path) for path, (method, _) in ENDPOINTS.items()]
)


class ControlApp:
    """The WSGI application mounted at CONTROL_PREFIX; answers are JSON, errors included."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.account_id = account_id

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            path, _ = _ROUTES.bind_to_environ(environ).match()
            emulator = self._emulator(request.args.get("region", DEFAULT_REGION))
            response = _answer(200, ENDPOINTS[path][1](emulator, request))
        except BadRequest as error:
            response = _answer(
                400,
                {
                    "message": str(error),
                    "errors": [{"member": m, "message": text} for m, text in error.problems],
                },
            )
        except HTTPException as error:
            response = _answer(error.code or 500, {"message": _http_message(error)})
        return response(environ, start_response)

    def _emulator(self, region: str) -> DetectMitigationEmulator:
        if region not in iot_backends[self.account_id]:
            raise BadRequest([("region", f"{region!r} is not a region moto serves IoT in")])
        return DetectMitigationEmulator(region, self.account_id)


def _http_message(error: HTTPException) -> str:
    endpoints = ", ".join(
        f"{method} {CONTROL_PREFIX}{path}" for path, (method, _) in ENDPOINTS.items()
    )
    return f"{error.name}: the emulator serves {endpoints}"


def _answer(status: int, payload: dict[str, Any]) -> Response:
    return Response(pydantic_core.to_json(payload), status, content_type="application/json")
