"""Quickstart: quarantine the things that violated an ML Detect behavior in the last hour."""

from datetime import UTC, datetime, timedelta

from iot_detect_mitigation import (
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    ViolationEventOccurrenceRange,
)


def quarantine_last_hour(
    client: DetectMitigationClient, task_id: str
) -> DetectMitigationActionsTaskSummary:
    now = datetime.now(UTC)
    client.start_task(
        task_id=task_id,  # derived from what the task is for, so a re-run cannot duplicate it
        target=DetectMitigationActionsTaskTarget(
            security_profile_name="smart-lights-ml", behavior_name="num-messages-sent-ml"
        ),
        actions=["quarantine"],  # a mitigation action you created beforehand
        violation_event_occurrence_range=ViolationEventOccurrenceRange(
            start_time=now - timedelta(hours=1), end_time=now
        ),
    )
    # Raises TaskFailedError, TaskCanceledError or WaitTimeoutError unless it ends SUCCESSFUL.
    return client.wait_for_completion(task_id, timeout=600)


if __name__ == "__main__":
    client = DetectMitigationClient(region_name="eu-west-1")  # build once; reuse it
    summary = quarantine_last_hour(client, f"quarantine-{datetime.now(UTC):%Y%m%d}")
    print(summary.task_status, summary.task_statistics.actions_executed, "executed")
