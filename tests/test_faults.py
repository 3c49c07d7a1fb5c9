"""Exactly-once starts under randomized faults over real HTTP, load, and secrets in logs."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter

import pytest

from iot_detect_mitigation import (
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    DetectMitigationError,
    RetryPolicy,
    TaskAlreadyExistsError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer

from .proxy import FAULTS, FaultProxy

SEQUENCES = 200
POLICY = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.002)
TARGET = DetectMitigationActionsTaskTarget(violation_ids=["v-1"])


pytestmark = pytest.mark.usefixtures("sensor")


@pytest.fixture
def proxied(proxy: tuple[FaultProxy, str]) -> tuple[FaultProxy, DetectMitigationClient]:
    faults, endpoint = proxy
    return faults, DetectMitigationClient(
        region_name="us-east-1", endpoint_url=endpoint, retry_policy=POLICY
    )


def test_randomized_fault_sequences_start_exactly_one_task_each(
    emulator: DetectMitigationEmulator,
    proxied: tuple[FaultProxy, DetectMitigationClient],
) -> None:
    proxy, client = proxied
    emulator.set_concurrent_task_quota(SEQUENCES + 10)
    rng = random.Random(20261121)
    outcome: Counter[str] = Counter()
    for n in range(SEQUENCES):
        # Fewer faults than attempts: every logical start must end with its task started.
        faults = rng.choices(FAULTS, k=rng.randint(0, POLICY.max_attempts - 2))
        proxy.plan.extend(faults)
        proxy.seen.clear()
        task_id = f"task-{n}"
        assert client.start_task(task_id=task_id, target=TARGET, actions=["quarantine"]) == task_id
        proxy.plan.clear()
        outcome.update(fault for _, fault in proxy.seen)
        # Describes (the claim after a lost answer) are not starts; starts stay in budget.
        starts = [f for method, f in proxy.seen if method == "PUT"]
        assert len(starts) <= POLICY.max_attempts
    tasks = emulator.tasks
    assert sorted(tasks) == sorted(f"task-{n}" for n in range(SEQUENCES))  # one each, none lost
    assert emulator.call_counts["StartDetectMitigationActionsTask"] >= SEQUENCES
    assert all(outcome[fault] > 20 for fault in FAULTS), outcome


def test_exhausted_budgets_fail_typed_and_in_budget(
    emulator: DetectMitigationEmulator,
    proxied: tuple[FaultProxy, DetectMitigationClient],
) -> None:
    proxy, client = proxied
    emulator.set_concurrent_task_quota(100)
    rng = random.Random(7)
    for n in range(30):
        proxy.plan.extend(rng.choices(FAULTS, k=POLICY.max_attempts + 2))
        proxy.seen.clear()
        with pytest.raises(DetectMitigationError) as caught:
            client.start_task(task_id=f"doomed-{n}", target=TARGET, actions=["quarantine"])
        proxy.plan.clear()
        # Every HTTP request the call sent is counted, the claim's describe included.
        assert caught.value.attempts == len(proxy.seen)
        assert len([m for m, _ in proxy.seen if m == "PUT"]) <= POLICY.max_attempts


def test_a_task_id_taken_by_another_task_is_not_claimed(
    emulator: DetectMitigationEmulator,
    proxied: tuple[FaultProxy, DetectMitigationClient],
) -> None:
    proxy, client = proxied
    other = DetectMitigationActionsTaskTarget(security_profile_name="p")
    client.start_task(task_id="shared", target=other, actions=["quarantine"])
    # Our start loses its first answer, then finds the id taken by a task that is not ours.
    proxy.plan.extend(["reset"])
    with pytest.raises(TaskAlreadyExistsError):
        client.start_task(task_id="shared", target=TARGET, actions=["quarantine"])
    proxy.plan.extend(["500_after"])
    with pytest.raises(TaskAlreadyExistsError):
        client.start_task(task_id="shared", target=TARGET, actions=["quarantine"])


def test_fifty_threads_share_one_client_under_the_rate_limit(
    server: EmulatorServer, emulator: DetectMitigationEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.set_rate_limit(10)
    emulator.set_concurrent_task_quota(50)
    client = DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        retry_policy=RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4, max_total_delay=120),
    )
    errors: list[BaseException] = []
    finished: list[str] = []

    def mitigate(n: int) -> None:
        try:
            task_id = client.start_task(task_id=f"load-{n}", target=TARGET, actions=["quarantine"])
            summary = client.wait_for_completion(task_id, timeout=240)
            finished.append(str(summary.task_status))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=mitigate, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert finished == ["SUCCESSFUL"] * 50
    throttled = emulator.throttled_count
    assert throttled > 0  # the limit really bit
    with capsys.disabled():
        print(f"\nload: 50 tasks finished, {throttled} throttles absorbed, 0 errors seen")


def test_no_secret_reaches_our_logs_messages_or_reprs(
    emulator: DetectMitigationEmulator,
    proxied: tuple[FaultProxy, DetectMitigationClient],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret, token = "wJalrXUtnFEMI-secret-under-test", "session-token-under-test"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    proxy, _ = proxied
    client = DetectMitigationClient(
        region_name="us-east-1",
        endpoint_url=proxied[1].iot_client.meta.endpoint_url,
        retry_policy=POLICY,
    )
    seen: list[str] = [repr(client), repr(POLICY)]
    with caplog.at_level(logging.DEBUG, logger="iot_detect_mitigation"):
        proxy.plan.extend(["throttle", "drop_after", "500"])
        client.start_task(task_id="secret-test", target=TARGET, actions=["quarantine"])
        proxy.plan.extend(["throttle"] * 10)
        try:
            client.describe_task("secret-test")
        except DetectMitigationError as error:
            seen += [str(error), repr(error), repr(error.__cause__)]
        summary = client.describe_task("secret-test")
        seen.append(repr(summary))
    seen.append(caplog.text)
    assert "retrying" in caplog.text
    text = "\n".join(seen)
    assert secret not in text and token not in text
