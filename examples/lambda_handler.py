"""AWS Lambda: mitigate the ML Detect violation that a Device Defender alarm reports over SNS.

Subscribe the function to the SNS topic of the security profile's alert target. Each ``in-alarm``
message starts one mitigation actions task on its violation id, waits for it and returns the
final summary. ``alarm-cleared`` and ``alarm-invalidated`` messages are acknowledged and ignored.

Exactly once, across redeliveries: SNS delivers at least once, and Lambda retries a failed
asynchronous invocation. The task id is derived from the violation id, so a second delivery
cannot start a second task: AWS answers ``TaskAlreadyExistsException``. The handler then
describes that task, and if it targets this same violation it adopts it, waits for it and
reports ``"outcome": "already-started"``. A task of that id with another target is a real
conflict and is raised. A task that ends FAILED or CANCELED, or outlives this invocation, raises,
so the invocation fails loudly; its retry adopts the same task instead of starting another.

Where this design stops being enough: an account allows 5 tasks in progress (by default), so from
about the sixth alarm that arrives within a task's duration, starts fail with
``LimitExceededError``, and each alarm pays for an invocation and a task of its own. For alarm
storms, batch the alarms through SQS and mitigate each batch with one ``mitigate_violations``
call (``examples/sqs_storm_handler.py``; docs/usage.md, "Incidents").

Environment: ``MITIGATION_ACTIONS``, comma-separated names of the mitigation actions to apply
(default ``quarantine``). The execution role needs ``iot:StartDetectMitigationActionsTask``,
``iot:DescribeDetectMitigationActionsTask`` and ``iot:ListDetectMitigationActionsExecutions`` (a
failed task's ``TaskFailedError`` lists which things failed). The alarm model is in ``alarms.py``,
imported from this package: deploy the two together (handler ``examples.lambda_handler.handler``).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from iot_detect_mitigation import (
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    TaskAlreadyExistsError,
)

from .alarms import LambdaContext, ViolationAlarm, actions_from_environment, seconds_to_wait

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

ACTIONS = actions_from_environment()

# Built once per execution environment, during init, and reused by every warm invocation:
# creating the boto3 client loads (part of) the iot service model.
CLIENT = DetectMitigationClient()


def task_id_for(violation_id: str) -> str:
    """The same violation always gives the same task id (1-128 chars of ``[a-zA-Z0-9_-]``)."""
    task_id = f"alarm-{violation_id}"
    if len(task_id) <= 128:
        return task_id
    return f"alarm-{hashlib.sha256(violation_id.encode()).hexdigest()}"


def handler(
    event: dict[str, Any], context: LambdaContext, client: DetectMitigationClient | None = None
) -> dict[str, Any]:
    """Lambda entry point; ``client`` is for tests, Lambda passes only event and context."""
    client = client or CLIENT
    (record,) = event["Records"]  # SNS invokes a function with one message at a time
    alarm = ViolationAlarm.model_validate_json(record["Sns"]["Message"])
    result: dict[str, Any] = {
        "violationId": alarm.violation_id,
        "thingName": alarm.thing_name,
        "securityProfileName": alarm.security_profile_name,
        "behaviorName": alarm.behavior.name,
    }
    if alarm.violation_event_type != "in-alarm":
        logger.info("ignoring %s event of %s", alarm.violation_event_type, alarm.violation_id)
        return {**result, "outcome": "ignored", "summary": None}

    task_id = task_id_for(alarm.violation_id)
    target = DetectMitigationActionsTaskTarget(violation_ids=[alarm.violation_id])
    try:
        client.start_task(task_id=task_id, target=target, actions=ACTIONS)
        outcome = "started"
    except TaskAlreadyExistsError:
        existing = client.describe_task(task_id)
        if existing.target is None or existing.target.model_dump() != target.model_dump():
            raise
        outcome = "already-started"
    logger.info("%s task %s for %s", outcome, task_id, alarm.thing_name)

    summary = client.wait_for_completion(task_id, timeout=seconds_to_wait(context))
    logger.info("task %s ended %s", task_id, summary.task_status)
    return {
        **result,
        "outcome": outcome,
        "summary": summary.model_dump(mode="json", exclude_none=True),
    }
