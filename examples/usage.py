"""The snippets of docs/usage.md and docs/errors.md, as functions the tests run on the emulator.

Each ``--8<-- [start:name]`` / ``[end:name]`` pair marks a section the docs include.
"""

from __future__ import annotations

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
    TaskAlreadyExistsError,
    TaskFailedError,
    TransportError,
    ViolationEventOccurrenceRange,
    WaitPolicy,
    WaitTimeoutError,
)

logger = logging.getLogger(__name__)


def start_and_describe(client: DetectMitigationClient) -> DetectMitigationActionsTaskSummary:
    # --8<-- [start:start]
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
    # --8<-- [end:start]
    # --8<-- [start:describe]
    summary = client.describe_task(task_id)
    if summary.task_status == DetectMitigationActionsTaskStatus.IN_PROGRESS:
        print(f"{summary.task_statistics.actions_executed} executed so far")
    # --8<-- [end:describe]
    return summary


def start_on_violations(client: DetectMitigationClient, violation_ids: list[str]) -> str:
    # --8<-- [start:violations]
    return client.start_task(
        task_id="quarantine-" + violation_ids[0],
        target=DetectMitigationActionsTaskTarget(violation_ids=violation_ids),  # 1 to 25 ids
        actions=["quarantine"],
    )
    # --8<-- [end:violations]


def wait(client: DetectMitigationClient, task_id: str) -> DetectMitigationActionsTaskSummary:
    # --8<-- [start:wait]
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
    # --8<-- [end:wait]
    return summary


def failed_devices(client: DetectMitigationClient, task_id: str) -> list[str]:
    # --8<-- [start:failed_devices]
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
    # --8<-- [end:failed_devices]


def incident(client: DetectMitigationClient, violation_ids: list[str]) -> list[str]:
    # --8<-- [start:incident]
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
    # --8<-- [end:incident]
    return [execution.thing_name or "" for execution in result.failed_executions]


def start_when_there_is_room(client: DetectMitigationClient) -> str:
    # --8<-- [start:capacity]
    return client.start_task(
        task_id="quarantine-hot-sensors-2",
        target=DetectMitigationActionsTaskTarget(security_profile_name="temperature"),
        actions=["quarantine"],
        capacity_timeout=300,  # wait up to 5 minutes for one of the account's task slots
    )
    # --8<-- [end:capacity]


def lifecycle(client: DetectMitigationClient, task_id: str) -> list[str]:
    # --8<-- [start:lifecycle]
    now = datetime.now(UTC)
    for task in client.list_tasks(start_time=now - timedelta(days=1), end_time=now):
        print(task.task_id, task.task_status)  # pages are fetched as you iterate
    failed = [
        execution.thing_name or ""
        for execution in client.list_executions(task_id=task_id)
        if execution.status == DetectMitigationActionExecutionStatus.FAILED
    ]
    client.cancel_task(task_id)  # InvalidRequestError if it has already ended
    # --8<-- [end:lifecycle]
    return failed


def wait_without_raising(
    client: DetectMitigationClient, task_id: str
) -> DetectMitigationActionsTaskSummary:
    # --8<-- [start:no_raise]
    summary = client.wait_for_completion(task_id, raise_on_failure=False)
    if summary.task_status != DetectMitigationActionsTaskStatus.SUCCESSFUL:
        print(f"{task_id} ended {summary.task_status}")
    # --8<-- [end:no_raise]
    return summary


def follow(client: DetectMitigationClient, task_id: str) -> list[str]:
    seen = []
    # --8<-- [start:iterate]
    for summary in client.iter_task_updates(task_id, timeout=900):
        seen.append(f"{summary.task_status} {summary.task_statistics.actions_executed}")
    # The last summary is the final state; FAILED and CANCELED do not raise here.
    # --8<-- [end:iterate]
    return seen


def patient_client() -> DetectMitigationClient:
    # --8<-- [start:retry]
    return DetectMitigationClient(
        region_name="eu-west-1",
        retry_policy=RetryPolicy(
            max_attempts=8,  # HTTP attempts per call, the first included
            base_delay=1.0,  # the first retry waits up to 1 s, the next up to 2 s, ...
            max_delay=20.0,  # ... never more than 20 s at once
            max_total_delay=120.0,  # and never past 2 minutes after the first attempt
        ),
    )
    # --8<-- [end:retry]


def start_exactly_once(client: DetectMitigationClient, incident_id: str) -> str:
    # --8<-- [start:exactly_once]
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
    # --8<-- [end:exactly_once]


def own_boto3_client() -> DetectMitigationClient:
    # --8<-- [start:own_client]
    iot = boto3.client(
        "iot",
        region_name="eu-west-1",
        # Used as given: botocore's retries (3 attempts in standard mode) would multiply with
        # ours, and its standard mode retries LimitExceededException. Turn them off.
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=15),
    )
    client = DetectMitigationClient(iot)
    # --8<-- [end:own_client]
    return client


def from_session(profile_name: str | None = "incident-response") -> DetectMitigationClient:
    # --8<-- [start:session]
    session = boto3.Session(profile_name=profile_name, region_name="eu-west-1")
    client = DetectMitigationClient(session=session)  # retries off on the client it builds
    # --8<-- [end:session]
    return client


def against_endpoint(endpoint_url: str = "http://127.0.0.1:5000") -> DetectMitigationClient:
    # --8<-- [start:endpoint]
    client = DetectMitigationClient(region_name="us-east-1", endpoint_url=endpoint_url)
    # --8<-- [end:endpoint]
    return client


def configure_logging() -> None:
    # --8<-- [start:logging]
    logging.basicConfig(level=logging.INFO)
    # Retries and polling trouble are logged as warnings here; no credentials are ever logged.
    logging.getLogger("iot_detect_mitigation").setLevel(logging.INFO)
    # botocore's DEBUG output includes request headers, the session token among them.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # --8<-- [end:logging]


def handle_errors(client: DetectMitigationClient, task_id: str) -> str:
    # --8<-- [start:errors]
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
    # --8<-- [end:errors]
