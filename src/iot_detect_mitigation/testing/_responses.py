"""moto handler methods for the detect-mitigation operations, added to moto's IoTResponse.

moto dispatches on the snake_case operation name and serialises an ActionResult with the
service model, so botocore parses every answer (timestamps travel as epoch seconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore import xform_name
from moto.core.responses import ActionResult, EmptyResult
from moto.iot.responses import IoTResponse

from ._clock import as_utc
from ._errors import InvalidRequestException
from ._model import service_model, validation_errors
from ._paging import page
from ._records import Execution, MitigationAction, Task, TaskTarget
from ._state import DetectMitigationState, state_for

Body = Callable[[DetectMitigationState, dict[str, Any]], dict[str, Any] | None]


def _params(response: IoTResponse, operation: str) -> dict[str, Any]:
    """The request parsed with the service model, then checked against all its constraints."""
    try:
        response.parse_parameters(response.normalized_request)
    except Exception as exc:  # moto's parser raises assorted errors on malformed input
        raise InvalidRequestException(f"The request could not be parsed: {exc}") from exc
    params = dict(response.params)
    errors = validation_errors(operation, params)
    if errors:
        raise InvalidRequestException(
            f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
            + "; ".join(errors)
        )
    return params


def _handler(operation: str, body: Body) -> Callable[[IoTResponse], ActionResult]:
    def handle(self: IoTResponse) -> ActionResult:
        state = state_for(self.iot_backend)
        with state.lock:
            state.admit(operation)
            result = body(state, _params(self, operation))
        return EmptyResult() if result is None else ActionResult(result)

    handle.__name__ = handle.__qualname__ = xform_name(operation)
    return handle


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _range(params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    start, end = params.get("startTime"), params.get("endTime")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidRequestException("startTime and endTime must be given together")
    start, end = as_utc(start), as_utc(end)
    if start > end:
        raise InvalidRequestException("startTime must not be after endTime")
    return start, end


def _within(moment: datetime, bounds: tuple[datetime, datetime] | None) -> bool:
    return bounds is None or bounds[0] <= moment <= bounds[1]


# Mitigation actions


def _create_action(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    action = state.create_action(params["actionName"], params["roleArn"], params["actionParams"])
    return {"actionArn": action.arn, "actionId": action.id}


def _describe_action(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    action = state.describe_action(params["actionName"])
    return {
        "actionName": action.name,
        "actionType": action.action_type,
        "actionArn": action.arn,
        "actionId": action.id,
        "roleArn": action.role_arn,
        "actionParams": action.action_params,
        "creationDate": action.created,
        "lastModifiedDate": action.created,
    }


def _list_actions(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    kind = params.get("actionType")
    actions = [
        ((state.action_positions[a.name],), a)
        for a in state.actions.values()
        if kind is None or a.action_type == kind
    ]
    found, token = page(actions, params.get("maxResults"), params.get("nextToken"))
    identifiers = [
        {"actionName": a.name, "actionArn": a.arn, "creationDate": a.created} for a in found
    ]
    return _present({"actionIdentifiers": identifiers, "nextToken": token})


def _delete_action(state: DetectMitigationState, params: dict[str, Any]) -> None:
    state.delete_action(params["actionName"])


# Tasks


def _start_task(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    target = params["target"]
    ids = target.get("violationIds")
    occurrence = params.get("violationEventOccurrenceRange")
    task = state.start_task(
        task_id=params["taskId"],
        target=TaskTarget(
            violation_ids=tuple(ids) if ids is not None else None,
            security_profile_name=target.get("securityProfileName"),
            behavior_name=target.get("behaviorName"),
        ),
        action_names=params["actions"],
        client_request_token=params["clientRequestToken"],
        occurrence_range=_range(occurrence) if occurrence is not None else None,
        only_active_violations=bool(params.get("includeOnlyActiveViolations", False)),
        include_suppressed_alerts=bool(params.get("includeSuppressedAlerts", False)),
    )
    return {"taskId": task.task_id}


def _action_definition(action: MitigationAction) -> dict[str, Any]:
    return {
        "name": action.name,
        "id": action.id,
        "roleArn": action.role_arn,
        "actionParams": action.action_params,
    }


def task_summary(task: Task) -> dict[str, Any]:
    """DetectMitigationActionsTaskSummary on the wire."""
    target = task.target
    summary: dict[str, Any] = {
        "taskId": task.task_id,
        "taskStatus": task.status,
        "taskStartTime": task.start,
        "taskEndTime": task.end,
        "target": _present(
            {
                "violationIds": list(target.violation_ids) if target.violation_ids else None,
                "securityProfileName": target.security_profile_name,
                "behaviorName": target.behavior_name,
            }
        ),
        "onlyActiveViolationsIncluded": task.only_active_violations,
        "suppressedAlertsIncluded": task.suppressed_alerts_included,
        "actionsDefinition": [_action_definition(action) for action in task.actions],
        "taskStatistics": {
            "actionsExecuted": task.statistics.actions_executed,
            "actionsSkipped": task.statistics.actions_skipped,
            "actionsFailed": task.statistics.actions_failed,
        },
    }
    if task.range_start is not None:
        summary["violationEventOccurrenceRange"] = {
            "startTime": task.range_start,
            "endTime": task.range_end,
        }
    return _present(summary)


def _describe_task(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    return {"taskSummary": task_summary(state.describe_task(params["taskId"]))}


def _list_tasks(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    bounds = _range(params)
    state.settle_all()
    tasks = [
        ((state.task_positions[task.task_id],), task)
        for task in state.tasks.values()
        if _within(task.start, bounds)
    ]
    found, token = page(tasks, params.get("maxResults"), params.get("nextToken"))
    return _present({"tasks": [task_summary(task) for task in found], "nextToken": token})


def _cancel_task(state: DetectMitigationState, params: dict[str, Any]) -> None:
    state.cancel_task(params["taskId"])


def execution_wire(execution: Execution) -> dict[str, Any]:
    """DetectMitigationActionExecution on the wire."""
    return _present(
        {
            "taskId": execution.task_id,
            "violationId": execution.violation_id,
            "actionName": execution.action_name,
            "thingName": execution.thing_name,
            "executionStartDate": execution.start,
            "executionEndDate": execution.end,
            "status": execution.status,
            "errorCode": execution.error_code,
            "message": execution.message,
        }
    )


def _list_executions(state: DetectMitigationState, params: dict[str, Any]) -> dict[str, Any]:
    bounds = _range(params)
    if (params.get("taskId") is None) == (bounds is None):
        # The API reference: "specify either the startTime and endTime or the taskId, but not both".
        raise InvalidRequestException(
            "Specify either the taskId or the startTime and endTime, but not both"
        )
    state.settle_all()
    wanted = {
        "task_id": params.get("taskId"),
        "violation_id": params.get("violationId"),
        "thing_name": params.get("thingName"),
    }
    found = [
        ((state.task_positions[task_id], index), execution)
        for task_id, executions in state.executions.items()
        for index, execution in enumerate(executions)
        if all(value is None or getattr(execution, key) == value for key, value in wanted.items())
        and _within(execution.start, bounds)
    ]
    selected, token = page(found, params.get("maxResults"), params.get("nextToken"))
    return _present(
        {"actionsExecutions": [execution_wire(e) for e in selected], "nextToken": token}
    )


HANDLERS: Mapping[str, Callable[[IoTResponse], ActionResult]] = {
    operation: _handler(operation, body)
    for operation, body in {
        "CreateMitigationAction": _create_action,
        "DescribeMitigationAction": _describe_action,
        "ListMitigationActions": _list_actions,
        "DeleteMitigationAction": _delete_action,
        "StartDetectMitigationActionsTask": _start_task,
        "DescribeDetectMitigationActionsTask": _describe_task,
        "ListDetectMitigationActionsTasks": _list_tasks,
        "CancelDetectMitigationActionsTask": _cancel_task,
        "ListDetectMitigationActionsExecutions": _list_executions,
    }.items()
}


def _unrouted_operations() -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """(method, path) of requests moto would route wrongly or not at all, and what they are.

    - An operation on a fixed path with required query members: moto's router needs all of
      them to pick it, so a request missing one would get a bare 404 instead of AWS's
      InvalidRequestException.
    - An operation whose path labels are empty, as botocore sends `actionName=""`
      (`GET /mitigationactions/actions/`): moto's router ignores the trailing slash and answers
      with the list operation, which the client then misreads as a describe. The labels are
      required members whose patterns need a character, so the answer is AWS's validation
      error for them (InvalidRequestException), as for any other broken constraint.
    """
    found: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for operation in HANDLERS:
        model = service_model().operation_model(operation)
        method, uri = model.http["method"], model.http["requestUri"]
        labels = tuple(re.findall(r"{(\w+)}", uri))
        if labels:
            found[(method, re.sub(r"{\w+}", "", uri))] = (operation, labels)
            continue
        shape = model.input_shape
        queries = [
            name
            for name in (shape.required_members if shape is not None else [])
            if shape is not None
            and shape.members[name].serialization.get("location") == "querystring"
        ]
        if queries:
            found[(method, uri)] = (operation, ())
    return found


def _route_fallback(get_action: Callable[[IoTResponse], str]) -> Callable[[IoTResponse], str]:
    unrouted = _unrouted_operations()

    def _get_action(self: IoTResponse) -> str:
        known = unrouted.get((self.method, self.path))
        if known is not None and (known[1] or not get_action(self)):
            operation, labels = known
            self.uri_match = dict.fromkeys(labels, "")
            return operation
        return get_action(self)

    return _get_action


def install() -> None:
    """Add the handlers to moto's IoTResponse; idempotent, and live servers pick them up too."""
    for operation, handler in HANDLERS.items():
        setattr(IoTResponse, xform_name(operation), handler)
    name = "_get_action"  # moto offers no routing hook; IoTResponse inherits this method
    if name not in vars(IoTResponse):
        setattr(IoTResponse, name, _route_fallback(IoTResponse._get_action))
