"""AWS Lambda: mitigate an alarm storm, batch by batch, from an SQS queue on the alarm topic.

An account may have 5 detect mitigation tasks in progress (by default), and one task takes up to
25 violation ids. ``lambda_handler.py``'s one task per alarm therefore gets
``LimitExceededError`` from about the sixth alarm that arrives within a task's duration. Here SQS
gathers the alarms, and each invocation mitigates its whole batch with one
``mitigate_violations`` call: the fewest tasks, at most 5 in progress, waiting for a slot when
other invocations hold them.

Setup:

- Subscribe a standard SQS queue to the SNS topic of the security profile's alert target (the
  queue policy must let SNS send to it). Both raw message delivery and SNS's JSON envelope are
  read.
- The event source mapping: ``FunctionResponseTypes: ["ReportBatchItemFailures"]``, so that only
  the messages named in ``batchItemFailures`` come back. ``MaximumBatchingWindowInSeconds``
  (up to 300) lets SQS gather up to ``BatchSize`` messages (up to 10,000; without a window, 10)
  into one invocation: take a batch the function can mitigate within its timeout, about
  ``ceil(ids / 25) / 5`` task durations. ``ScalingConfig.MaximumConcurrency`` caps the
  invocations the queue drives at once; they share the account's 5 task slots, so a small value
  (2, the least Lambda allows) is enough, and more only wait for slots.
- Give the queue a redrive policy to a dead-letter queue: a message whose violation is not
  mitigated after ``maxReceiveCount`` deliveries lands there for an operator. Set the queue's
  visibility timeout to about 6 times the function timeout, as Lambda advises.
- The execution role needs ``iot:StartDetectMitigationActionsTask``,
  ``iot:DescribeDetectMitigationActionsTask`` and ``iot:ListDetectMitigationActionsExecutions``,
  besides the SQS permissions of an event source mapping (``AWSLambdaSQSQueueExecutionRole``).

Each invocation:

- reads every message: ``in-alarm`` alarms are mitigated, ``alarm-cleared`` and
  ``alarm-invalidated`` are acknowledged, and a message that is no alarm, or names a violation id
  AWS would refuse, is reported as failed alone (it goes to the dead-letter queue in the end)
  instead of failing the batch;
- calls ``mitigate_violations`` once, with the batch's in-alarm violation ids (an alarm that SNS
  delivered twice counts once) and a deadline of the invocation's remaining time less
  ``alarms.SAFETY_MARGIN_SECONDS``;
- returns ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}`` for the messages whose
  violation was not mitigated: an execution that did not succeed, a task still running at the
  deadline, or a task that never started (``MitigationTimeoutError.result.pending_violation_ids``).
  SQS delivers those again, and only those. Anything else that goes wrong (a missing mitigation
  action, missing permissions) raises, and the whole batch comes back.

Task ids and redeliveries: ``mitigate_violations`` names each task ``{TASK_ID_PREFIX}-`` plus a
digest of its violation ids and actions. The prefix is fixed (not the request id, not the time),
so a batch delivered again with the same alarms, after an invocation timed out or crashed,
adopts the tasks the first delivery started instead of starting them again. A violation whose
message comes back in a different batch is mitigated by a new task: the retry of a failed
execution, or, for a task that outlived the invocation, a second addition of the thing to the
same thing group, which changes nothing. No task id is ever started twice. The other side of
adopting: a batch that comes back unchanged adopts a FAILED task as it is, so its failed
executions are retried only when their messages come back beside other ones; otherwise they
end in the dead-letter queue, where an operator sees them.

Environment: ``MITIGATION_ACTIONS`` (as ``lambda_handler.py``; default ``quarantine``) and
``TASK_ID_PREFIX`` (default ``alarm-batch``). Deploy with ``alarms.py`` beside it (handler
``examples.sqs_storm_handler.handler``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pydantic import ValidationError

from iot_detect_mitigation import (
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    MitigationResult,
    MitigationTimeoutError,
)

from .alarms import LambdaContext, actions_from_environment, alarm_in_sqs_body, seconds_to_wait

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

ACTIONS = actions_from_environment()
TASK_ID_PREFIX = os.environ.get("TASK_ID_PREFIX", "alarm-batch")

# Built once per execution environment, during init, and reused by every warm invocation:
# creating the boto3 client loads (part of) the iot service model.
CLIENT = DetectMitigationClient()


def handler(
    event: dict[str, Any], context: LambdaContext, client: DetectMitigationClient | None = None
) -> dict[str, list[dict[str, str]]]:
    """Lambda entry point; ``client`` is for tests, Lambda passes only event and context."""
    client = client or CLIENT
    unreadable: list[str] = []
    violation_of: dict[str, str] = {}  # message id -> violation id, for in-alarm messages
    for record in event["Records"]:
        message_id = record["messageId"]
        try:
            alarm = alarm_in_sqs_body(record["body"])
            # An id AWS refuses would fail the whole batch's call: refuse its message alone.
            DetectMitigationActionsTaskTarget(violation_ids=[alarm.violation_id])
        except ValidationError as error:
            logger.error("message %s is no usable alarm: %s", message_id, error)
            unreadable.append(message_id)
            continue
        if alarm.violation_event_type == "in-alarm":
            violation_of[message_id] = alarm.violation_id
        else:
            logger.info("ignoring %s event of %s", alarm.violation_event_type, alarm.violation_id)

    done: set[str] = set()
    if violation_of:
        done = mitigated(mitigate(client, set(violation_of.values()), seconds_to_wait(context)))
    failed = set(unreadable) | {m for m, violation in violation_of.items() if violation not in done}
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["messageId"]}
            for record in event["Records"]
            if record["messageId"] in failed
        ]
    }


def mitigate(
    client: DetectMitigationClient, violation_ids: set[str], timeout: float
) -> MitigationResult:
    """One ``mitigate_violations`` call; past the deadline, what it did so far."""
    try:
        result = client.mitigate_violations(
            violation_ids, actions=ACTIONS, task_id_prefix=TASK_ID_PREFIX, timeout=timeout
        )
    except MitigationTimeoutError as error:
        logger.warning("%s; their messages will come back", error)
        result = error.result
    for execution in result.failed_executions:
        logger.warning(
            "not mitigated: %s (%s): %s %s",
            execution.thing_name,
            execution.action_name,
            execution.error_code,
            execution.message,
        )
    logger.info(
        "%d violations, %d tasks, %d executions failed, %d not started",
        len(violation_ids),
        len(result.tasks),
        len(result.failed_executions),
        len(result.pending_violation_ids),
    )
    return result


def mitigated(result: MitigationResult) -> set[str]:
    """The violations whose every execution SUCCEEDED.

    Anything less is not done: a FAILED or SKIPPED execution, or none at all (the task was still
    running at the deadline, or never started).
    """
    successful = DetectMitigationActionExecutionStatus.SUCCESSFUL
    outcome: dict[str, bool] = {}
    for execution in result.executions:
        if execution.violation_id is not None:
            ok = execution.status == successful
            outcome[execution.violation_id] = outcome.get(execution.violation_id, True) and ok
    return {violation for violation, ok in outcome.items() if ok}
