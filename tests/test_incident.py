"""mitigate_violations over real loopback HTTP: few tasks, a concurrency cap, other callers
holding the account's slots, re-runs that adopt, results per device, and one deadline."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from iot_detect_mitigation import (
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    MitigationResult,
    MitigationTimeoutError,
    TaskAlreadyExistsError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer

from .fake_time import SharedTime
from .fleet import most_in_progress_at_once, quarantined, seed


@pytest.fixture(autouse=True)
def twenty_second_tasks(emulator: DetectMitigationEmulator) -> None:
    emulator.set_task_duration(seconds=20)


@pytest.fixture
def time(emulator: DetectMitigationEmulator) -> SharedTime:
    return SharedTime(emulator)


@pytest.fixture
def client(server: EmulatorServer, time: SharedTime) -> DetectMitigationClient:
    return DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        sleep=time.sleep,
        clock=time.clock,
    )


def test_many_violations_become_the_fewest_tasks_within_the_cap(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 130)
    result = client.mitigate_violations(
        ids + ids[:40],  # duplicates, as redelivered alarms bring
        actions=["quarantine"],
        task_id_prefix="incident-4711",
        max_concurrent_tasks=2,
        timeout=900,
    )
    assert isinstance(result, MitigationResult) and result.succeeded
    assert len(result.tasks) == 6  # 130 ids: 5 tasks of 25 and one of 5
    assert all(task.task_id and task.task_id.startswith("incident-4711-") for task in result.tasks)
    assert len(emulator.tasks) == 6
    assert sorted(e.violation_id or "" for e in result.executions) == ids
    assert result.failed_executions == []
    assert quarantined(iot) == {f"sensor-{n:04d}" for n in range(130)}
    assert most_in_progress_at_once(emulator) == 2


def test_a_second_run_with_the_same_arguments_adopts_and_starts_nothing(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 60)
    first = client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="storm")
    again = client.mitigate_violations(
        list(reversed(ids)), actions=["quarantine"], task_id_prefix="storm"
    )
    assert [t.task_id for t in again.tasks] == [t.task_id for t in first.tasks]
    assert len(emulator.tasks) == 3
    assert again.executions == first.executions
    # Other actions are another incident: new tasks, never a claim of these.
    iot.create_mitigation_action(
        actionName="notify",
        roleArn="arn:aws:iam::123456789012:role/mitigation",
        actionParams={"publishFindingToSnsParams": {"topicArn": "arn:aws:sns:us-east-1:1:t"}},
    )
    other = client.mitigate_violations(ids, actions=["notify"], task_id_prefix="storm")
    assert not {t.task_id for t in other.tasks} & {t.task_id for t in first.tasks}


def test_a_task_id_taken_by_something_else_is_a_conflict(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 3)
    planned = client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="x")
    task_id = planned.tasks[0].task_id
    assert task_id is not None
    emulator.reset()  # the emulator forgets the task (and the action): another one takes the id
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn="arn:aws:iam::123456789012:role/mitigation",
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    seed(iot, emulator, 3)
    client.start_task(
        task_id=task_id,
        target=DetectMitigationActionsTaskTarget(security_profile_name="p"),
        actions=["quarantine"],
    )
    with pytest.raises(TaskAlreadyExistsError):
        client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="x")


def test_other_callers_holding_every_slot_make_it_wait_not_fail(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 50)
    emulator.set_task_duration(seconds=120)
    for n in range(5):  # someone else's storm holds the account's 5 slots for two minutes
        client.start_task(
            task_id=f"theirs-{n}",
            target=DetectMitigationActionsTaskTarget(violation_ids=[ids[n]]),
            actions=["quarantine"],
        )
    emulator.set_task_duration(seconds=20)
    result = client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="ours")
    assert result.succeeded and len(result.tasks) == 2
    assert most_in_progress_at_once(emulator) <= 5
    assert emulator.call_counts["StartDetectMitigationActionsTask"] > 5 + 2  # it was refused


def test_failed_devices_are_easy_to_reach(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 30)
    emulator.fail_executions(thing_names=["sensor-0007", "sensor-0028"], error_code="Offline")
    result = client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="p")
    assert not result.succeeded
    assert {(e.thing_name, e.error_code) for e in result.failed_executions} == {
        ("sensor-0007", "Offline"),
        ("sensor-0028", "Offline"),
    }
    assert {t.task_status for t in result.tasks} == {"FAILED"}
    assert len(result.executions) == 30
    assert MitigationResult.model_validate_json(result.model_dump_json()) == result


def test_the_deadline_covers_the_whole_run_and_keeps_what_was_done(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient, time: SharedTime
) -> None:
    ids = seed(iot, emulator, 75)
    with pytest.raises(MitigationTimeoutError) as caught:
        client.mitigate_violations(
            ids, actions=["quarantine"], task_id_prefix="slow", max_concurrent_tasks=1, timeout=45
        )
    assert time.now <= 45
    partial = caught.value.result
    assert [t.task_status for t in partial.tasks] == ["SUCCESSFUL", "IN_PROGRESS"]
    assert len(partial.pending_violation_ids) == 25
    assert len(partial.executions) == 25  # the finished task's
    assert not partial.succeeded


def test_listing_and_mitigating_stay_correct_under_the_rate_limit(
    server: EmulatorServer, iot: Any, emulator: DetectMitigationEmulator, time: SharedTime
) -> None:
    """AWS allows each operation 10 requests a second; the retry layer absorbs the rest."""
    ids = seed(iot, emulator, 300)
    emulator.set_rate_limit(10)
    emulator.set_concurrent_task_quota(12)  # a raised quota: 12 tasks start, end and list at once
    client = DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(7),  # a throttled call may, rarely, run out of attempts: not here
    )
    result = client.mitigate_violations(
        ids, actions=["quarantine"], task_id_prefix="limited", max_concurrent_tasks=12
    )
    assert result.succeeded and len(result.tasks) == 12
    assert sorted(e.violation_id or "" for e in result.executions) == ids
    assert emulator.throttled_count > 0
    throttled = emulator.throttled_count

    start, end = datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    executions = list(client.list_executions(start_time=start, end_time=end, page_size=10))
    tasks = list(client.list_tasks(start_time=start, end_time=end, page_size=1))
    assert sorted(e.violation_id or "" for e in executions) == ids
    assert sorted(t.task_id or "" for t in tasks) == sorted(t.task_id or "" for t in result.tasks)
    assert emulator.throttled_count > throttled  # 30 pages and 12 pages: both were throttled
    assert quarantined(iot) == {f"sensor-{n:04d}" for n in range(300)}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"violation_ids": "v-1"}, ValueError),
        ({"violation_ids": ["v 1"]}, ValidationError),
        ({"actions": "quarantine"}, ValueError),
        ({"actions": ["q", "q"]}, ValidationError),
        ({"task_id_prefix": "no spaces"}, ValueError),
        ({"task_id_prefix": "x" * 108}, ValueError),
        ({"max_concurrent_tasks": 0}, ValueError),
        ({"timeout": float("nan")}, ValueError),
    ],
)
def test_bad_arguments_are_rejected_before_any_call(
    emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    arguments: dict[str, Any],
    error: type[Exception],
) -> None:
    call: dict[str, Any] = {
        "violation_ids": ["v-1"],
        "actions": ["quarantine"],
        "task_id_prefix": "ok",
        **arguments,
    }
    ids = call.pop("violation_ids")
    with pytest.raises(error):
        client.mitigate_violations(ids, **call)
    assert set(emulator.call_counts) == {"CreateMitigationAction"}  # the fixture's, no more


def test_faults_that_outlast_the_retries_are_tried_again_next_round(
    iot: Any, emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    ids = seed(iot, emulator, 30)
    attempts = client.retry_policy.max_attempts
    # More throttles than one call's retries: the start, then the listing of a finished task.
    emulator.inject_fault("StartDetectMitigationActionsTask", "ThrottlingException", attempts + 2)
    emulator.inject_fault(
        "ListDetectMitigationActionsExecutions", "ServiceUnavailableException", attempts + 1
    )
    result = client.mitigate_violations(ids, actions=["quarantine"], task_id_prefix="rough")
    assert result.succeeded
    assert sorted(e.violation_id or "" for e in result.executions) == ids
    assert len(emulator.tasks) == 2
    assert emulator.throttled_count == 2 * attempts + 3
