"""The snippets of docs/usage.md and docs/errors.md, as functions the tests run on the emulator.

Each ``# snippet-start: name`` / ``# snippet-end: name`` pair marks a section that a page shows,
with the imports and constants it uses (tools/sync_snippets.py writes it into the page).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import boto3
from botocore.config import Config

from iot_detect_mitigation import (
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    InvalidRequestError,
    LimitExceededError,
    RetryPolicy,
    ServiceError,
    StartDetectMitigationActionsTaskRequest,
    TaskAlreadyExistsError,
    TaskFailedError,
    TransportError,
    ViolationEventOccurrenceRange,
    WaitPolicy,
    WaitTimeoutError,
)

logger = logging.getLogger(__name__)


def build_client() -> DetectMitigationClient:
    # snippet-start: client
    client = DetectMitigationClient(region_name="eu-west-1")
    # snippet-end: client
    return client


def start_and_describe(client: DetectMitigationClient) -> DetectMitigationActionsTaskSummary:
    # snippet-start: start
    now = datetime.now(UTC)
    task_id = client.start_task(
        task_id="quarantine-hot-sensors",
        target=DetectMitigationActionsTaskTarget(
            security_profile_name="temperature", behavior_name="too-hot"
        ),
        actions=["quarantine"],
        violation_event_occurrence_range=ViolationEventOccurrenceRange(
            start_time=now - timedelta(hours=6), end_time=now
        ),
        include_only_active_violations=True,
    )
    # snippet-end: start
    # snippet-start: describe
    summary = client.describe_task(task_id)
    if summary.task_status == DetectMitigationActionsTaskStatus.IN_PROGRESS:
        print(f"{summary.task_statistics.actions_executed} executed so far")
    # snippet-end: describe
    return summary


def start_on_violations(client: DetectMitigationClient, violation_ids: list[str]) -> str:
    # snippet-start: violations
    task_id = client.start_task(
        task_id="quarantine-" + violation_ids[0],
        target=DetectMitigationActionsTaskTarget(violation_ids=violation_ids),  # 1 to 25 ids
        actions=["quarantine"],
    )
    # snippet-end: violations
    return task_id


def dump(client: DetectMitigationClient) -> dict[str, object]:
    # snippet-start: model_dump
    request = StartDetectMitigationActionsTaskRequest(
        task_id="quarantine-pump-1",
        target=DetectMitigationActionsTaskTarget(violation_ids=["violation-1"]),
        actions=["quarantine"],
        client_request_token="quarantine-pump-1",
    )
    # model_dump() names members as AWS does: it is what boto3 takes, as to_boto3() is.
    params = request.model_dump(exclude_none=True)
    assert params == {
        "taskId": "quarantine-pump-1",
        "target": {"violationIds": ["violation-1"]},
        "actions": ["quarantine"],
        "clientRequestToken": "quarantine-pump-1",
    }
    client.iot_client.start_detect_mitigation_actions_task(**params)  # the boto3 client beneath

    summary = client.describe_task("quarantine-pump-1")
    aws_names = summary.model_dump(mode="json", exclude_none=True)  # JSON-able, as AWS names it
    python_names = summary.model_dump(by_alias=False)  # the Python field names
    assert aws_names["taskId"] == python_names["task_id"] == "quarantine-pump-1"
    print(json.dumps(aws_names))  # {"taskId": "quarantine-pump-1", "taskStatus": ...}

    # Either name is accepted when building or parsing a model.
    assert DetectMitigationActionsTaskTarget.model_validate({"violationIds": ["v-1"]}) == (
        DetectMitigationActionsTaskTarget(violation_ids=["v-1"])
    )
    # snippet-end: model_dump
    return python_names


def wait(client: DetectMitigationClient, task_id: str) -> DetectMitigationActionsTaskSummary:
    # snippet-start: wait
    def report(summary: DetectMitigationActionsTaskSummary) -> None:
        stats = summary.task_statistics
        logger.info(
            "%s: %s executed, %s failed", task_id, stats.actions_executed, stats.actions_failed
        )

    try:
        summary = client.wait_for_completion(
            task_id,
            timeout=900,  # seconds from the first poll (600 by default); there is always one
            wait_policy=WaitPolicy(min_delay=2, max_delay=60),
            on_update=report,  # called when the status or the statistics change
        )
    except TaskFailedError as error:
        assert error.summary is not None  # the last state seen
        logger.error(
            "%s failed %s executions", task_id, error.summary.task_statistics.actions_failed
        )
        raise
    except WaitTimeoutError as error:
        logger.warning(
            "%s still running after %.0f s; it goes on without us", task_id, error.elapsed
        )
        raise
    # snippet-end: wait
    return summary


# snippet-start: failed_devices
def failed_devices(client: DetectMitigationClient, task_id: str) -> list[str]:
    try:
        client.wait_for_completion(task_id, timeout=900)
    except TaskFailedError as error:
        # Which devices were not mitigated, and why: listed for you when the task failed.
        for execution in error.failed_executions or ():
            print(
                f"{execution.thing_name}: {execution.action_name} failed "
                f"({execution.error_code}: {execution.message})"
            )
        return [execution.thing_name or "" for execution in error.failed_executions or ()]
    return []


# snippet-end: failed_devices


def incident(client: DetectMitigationClient, violation_ids: list[str]) -> list[str]:
    # snippet-start: incident
    result = client.mitigate_violations(
        violation_ids,  # any number; duplicates are dropped
        actions=["quarantine"],
        task_id_prefix="incident-4711",  # the same arguments again adopt these tasks
        max_concurrent_tasks=5,  # of the account's 5 slots (by default), use at most this many
        timeout=900,  # one deadline for every task; MitigationTimeoutError carries the rest
    )
    for execution in result.failed_executions:
        print(execution.thing_name, execution.action_name, execution.error_code, execution.message)
    print(f"{len(result.tasks)} tasks, {len(result.executions)} executions")
    # snippet-end: incident
    return [execution.thing_name or "" for execution in result.failed_executions]


def start_when_there_is_room(client: DetectMitigationClient) -> str:
    # snippet-start: capacity
    task_id = client.start_task(
        task_id="quarantine-hot-sensors-2",
        target=DetectMitigationActionsTaskTarget(security_profile_name="temperature"),
        actions=["quarantine"],
        capacity_timeout=300,  # wait up to 5 minutes for one of the account's task slots
    )
    # snippet-end: capacity
    return task_id


def lifecycle(client: DetectMitigationClient, task_id: str) -> list[str]:
    # snippet-start: lifecycle
    now = datetime.now(UTC)
    for task in client.list_tasks(start_time=now - timedelta(days=1), end_time=now):
        print(task.task_id, task.task_status)  # pages are fetched as you iterate
    failed = [
        execution.thing_name or ""
        for execution in client.list_executions(task_id=task_id)
        if execution.status == DetectMitigationActionExecutionStatus.FAILED
    ]
    client.cancel_task(task_id)  # InvalidRequestError if it has already ended
    # snippet-end: lifecycle
    return failed


def wait_without_raising(
    client: DetectMitigationClient, task_id: str
) -> DetectMitigationActionsTaskSummary:
    # snippet-start: no_raise
    summary = client.wait_for_completion(task_id, raise_on_failure=False)
    if summary.task_status != DetectMitigationActionsTaskStatus.SUCCESSFUL:
        print(f"{task_id} ended {summary.task_status}")
    # snippet-end: no_raise
    return summary


def follow(client: DetectMitigationClient, task_id: str) -> DetectMitigationActionsTaskSummary:
    # snippet-start: iterate
    for summary in client.iter_task_updates(task_id, timeout=900):
        print(summary.task_status, summary.task_statistics.actions_executed)
    # The last summary is the final state; FAILED and CANCELED do not raise here.
    # snippet-end: iterate
    return summary


def quick_to_give_up_client() -> DetectMitigationClient:
    # snippet-start: call_timeouts
    client = DetectMitigationClient(region_name="eu-west-1", connect_timeout=2, read_timeout=20)
    # snippet-end: call_timeouts
    return client


def patient_client() -> DetectMitigationClient:
    # snippet-start: retry
    client = DetectMitigationClient(
        region_name="eu-west-1",
        retry_policy=RetryPolicy(
            max_attempts=8,  # HTTP attempts per call, the first included
            base_delay=1.0,  # the first retry waits up to 1 s, the next up to 2 s, ...
            max_delay=20.0,  # ... never more than 20 s at once
            max_total_delay=120.0,  # and never past 2 minutes after the first attempt
        ),
    )
    # snippet-end: retry
    return client


# snippet-start: exactly_once
def start_exactly_once(client: DetectMitigationClient, incident_id: str) -> str:
    try:
        return client.start_task(
            task_id=f"incident-{incident_id}",  # one incident, one task id
            target=DetectMitigationActionsTaskTarget(security_profile_name="temperature"),
            actions=["quarantine"],
            client_request_token=f"incident-{incident_id}",  # optional: a uuid4 by default
        )
    except TaskAlreadyExistsError:
        # Not a retry of this call (those are reconciled for you): an earlier run, or a
        # different task that took the id. Look before deciding.
        existing = client.describe_task(f"incident-{incident_id}")
        logger.info("incident %s already has a task: %s", incident_id, existing.task_status)
        return f"incident-{incident_id}"


# snippet-end: exactly_once


def own_boto3_client() -> DetectMitigationClient:
    # snippet-start: own_client
    iot = boto3.client(
        "iot",
        region_name="eu-west-1",
        # Used as given: botocore's retries (3 attempts in standard mode) would multiply with
        # ours, and its standard mode retries LimitExceededException. Turn them off.
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=15),
    )
    client = DetectMitigationClient(iot)
    # snippet-end: own_client
    return client


def from_session(profile_name: str | None = "incident-response") -> DetectMitigationClient:
    # snippet-start: session
    session = boto3.Session(profile_name=profile_name, region_name="eu-west-1")
    client = DetectMitigationClient(session=session)  # retries off on the client it builds
    # snippet-end: session
    return client


def against_endpoint(endpoint_url: str = "http://127.0.0.1:5000") -> DetectMitigationClient:
    # snippet-start: endpoint
    client = DetectMitigationClient(region_name="us-east-1", endpoint_url=endpoint_url)
    # snippet-end: endpoint
    return client


def configure_logging() -> None:
    # snippet-start: logging
    logging.basicConfig(level=logging.INFO)
    # Retries and polling trouble are logged as warnings here; no credentials are ever logged.
    logging.getLogger("iot_detect_mitigation").setLevel(logging.INFO)
    # botocore's DEBUG output includes request headers, the session token among them.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # snippet-end: logging


# snippet-start: errors
def handle_errors(client: DetectMitigationClient, task_id: str) -> str:
    try:
        client.start_task(
            task_id=task_id,
            target=DetectMitigationActionsTaskTarget(security_profile_name="temperature"),
            actions=["quarantine"],
        )
    except LimitExceededError:
        return "busy: 5 tasks already running; wait for one to end"  # never retried
    except TaskAlreadyExistsError:
        return f"{task_id} is taken: by an earlier run, or by another task"
    except InvalidRequestError as error:  # e.g. an action name that does not exist
        return f"fix the request: {error.message}"
    except ServiceError as error:  # throttling or internal failure that outlasted the retries
        return f"AWS said {error.code} (request {error.request_id}) after {error.attempts} tries"
    except TransportError as error:
        return f"no answer; {'it may have started' if error.sent else 'nothing was sent'}"
    return "started"


# snippet-end: errors
