"""The promises on a bad network, over real loopback HTTP: the deadline, 5xx answers,
exactly-once with any client, claims, and failures that are typed and can travel."""

from __future__ import annotations

import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

import iot_detect_mitigation as pkg
from iot_detect_mitigation import (
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    DetectMitigationError,
    RetryPolicy,
    ServiceError,
    TaskAlreadyExistsError,
    TransportError,
    ViolationEventOccurrenceRange,
    WaitPolicy,
    WaitTimeoutError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator

from .proxy import FaultProxy, silent_endpoint

FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.002)
PATIENT = RetryPolicy(max_attempts=20, base_delay=1.0, max_delay=20.0, max_total_delay=600.0)
TARGET = DetectMitigationActionsTaskTarget(violation_ids=["v-1"])
DEADLINE_SLACK = 1.0
"""The promise: a wait ends no later than one second after its deadline."""


pytestmark = pytest.mark.usefixtures("sensor")


def _client(endpoint: str, policy: RetryPolicy = FAST) -> DetectMitigationClient:
    return DetectMitigationClient(
        region_name="us-east-1", endpoint_url=endpoint, retry_policy=policy
    )


def _timed_wait(client: DetectMitigationClient, timeout: float) -> tuple[WaitTimeoutError, float]:
    began = time.monotonic()
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_completion("t-1", timeout=timeout)
    return caught.value, time.monotonic() - began


# --- 1. The deadline is a deadline -----------------------------------------------------------


@pytest.mark.parametrize("own_client", [False, True], ids=["built", "callers-default-client"])
def test_a_hung_endpoint_cannot_hold_a_wait_past_its_deadline(own_client: bool) -> None:
    with silent_endpoint() as endpoint:
        client = (
            DetectMitigationClient(
                boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
            )
            if own_client
            else _client(endpoint, PATIENT)
        )
        error, took = _timed_wait(client, timeout=2.0)
    assert took <= 2.0 + DEADLINE_SLACK
    assert isinstance(error.__cause__, TransportError)
    assert "TransportError" in str(error) and "deadline" in str(error)
    assert error.summary is None


def test_steady_throttling_under_a_patient_policy_ends_at_the_deadline(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str]
) -> None:
    faults, endpoint = proxy
    faults.repeat = "throttle"
    error, took = _timed_wait(_client(endpoint, PATIENT), timeout=3.0)
    assert took <= 3.0 + DEADLINE_SLACK
    assert isinstance(error.__cause__, pkg.ThrottlingError)
    assert "ThrottlingError" in str(error)
    assert len(faults.seen) >= 2  # it did retry, just never past the deadline


def test_answers_slower_than_the_poll_interval_do_not_stretch_the_deadline(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str]
) -> None:
    faults, endpoint = proxy
    client = _client(endpoint)
    client.start_task(task_id="t-1", target=TARGET, actions=["quarantine"])
    emulator.set_task_duration(seconds=3600)
    faults.repeat, faults.slow_seconds = "slow", 1.5
    began = time.monotonic()
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_completion("t-1", timeout=2.5)
    assert time.monotonic() - began <= 2.5 + DEADLINE_SLACK
    assert caught.value.summary is not None  # the answers that came in time were seen


def test_clients_the_library_builds_have_control_plane_timeouts() -> None:
    def timeouts(client: DetectMitigationClient) -> tuple[float, float]:
        options = vars(client.iot_client.meta.config)  # botocore's Config keeps them as attributes
        return options["connect_timeout"], options["read_timeout"]

    built = DetectMitigationClient(region_name="us-east-1")
    assert timeouts(built) == (5.0, 10.0)
    tuned = DetectMitigationClient(region_name="us-east-1", connect_timeout=1, read_timeout=30)
    assert timeouts(tuned) == (1, 30)
    with pytest.raises(ValueError, match="read_timeout"):
        DetectMitigationClient(region_name="us-east-1", read_timeout=float("nan"))
    with pytest.raises(ValueError, match="connect_timeout"):
        DetectMitigationClient(built.iot_client, connect_timeout=3)


# --- 2. 5xx answers are transient ------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "502_html", "503_empty", "504_empty"])
def test_a_5xx_answer_is_retried_whatever_its_body(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str], fault: Any
) -> None:
    faults, endpoint = proxy
    client = _client(endpoint)
    client.start_task(task_id="t-1", target=TARGET, actions=["quarantine"])
    faults.plan.extend([fault, fault])
    assert client.describe_task("t-1").task_id == "t-1"
    faults.plan.extend([fault])
    with pytest.raises(ServiceError) as caught:
        _client(endpoint, RetryPolicy(max_attempts=1)).describe_task("t-1")
    assert caught.value.retryable
    assert caught.value.status_code == int(fault[:3])
    assert "\n" not in str(caught.value)  # one line, even for a proxy's HTML page


def test_a_proxy_error_page_in_the_middle_of_a_wait_does_not_end_it(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str]
) -> None:
    faults, endpoint = proxy
    client = _client(endpoint)
    emulator.set_task_duration(describes=3)
    client.start_task(task_id="t-1", target=TARGET, actions=["quarantine"])
    faults.plan.extend(["pass", "502_html", "pass", "503_empty", "504_empty"])
    final = client.wait_for_completion("t-1", timeout=60, wait_policy=WaitPolicy(max_delay=1))
    assert final.task_status == "SUCCESSFUL"


@pytest.mark.parametrize("fault", ["500_after", "502_after"])
def test_a_start_answered_5xx_after_aws_acted_reconciles_to_one_task(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str], fault: Any
) -> None:
    faults, endpoint = proxy
    faults.plan.append(fault)
    started = _client(endpoint).start_task(task_id="t-1", target=TARGET, actions=["quarantine"])
    assert started == "t-1"
    assert list(emulator.tasks) == ["t-1"]
    assert emulator.call_counts["StartDetectMitigationActionsTask"] == 2


# --- 3. Exactly-once with the caller's own client --------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "standard", "adaptive"])
@pytest.mark.parametrize("fault", ["500_after", "502_after", "drop_after"])
def test_a_start_botocore_resent_inside_the_call_yields_one_task(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str], mode: Any, fault: Any
) -> None:
    faults, endpoint = proxy
    own = boto3.client(
        "iot", region_name="us-east-1", endpoint_url=endpoint, config=Config(retries={"mode": mode})
    )
    faults.plan.append(fault)
    client = DetectMitigationClient(own, retry_policy=FAST)
    assert client.start_task(task_id="t-1", target=TARGET, actions=["quarantine"]) == "t-1"
    assert list(emulator.tasks) == ["t-1"]
    puts = [method for method, _ in faults.seen if method == "PUT"]
    assert len(puts) == 2  # botocore's re-send found the task; the claim describe adopted it


# --- 4. Reconcile claims its own task and nothing else ---------------------------------------


def _claim(
    proxy: tuple[FaultProxy, str], **request: Any
) -> tuple[str | TaskAlreadyExistsError, int]:
    """Start through a proxy that answers 500 once the server acted: the call must reconcile."""
    faults, endpoint = proxy
    faults.plan.append("500_after")
    faults.seen.clear()
    try:
        return _client(endpoint).start_task(
            task_id="t-1", target=TARGET, actions=["quarantine"], **request
        ), len(faults.seen)
    except TaskAlreadyExistsError as error:
        assert error.attempts == len(faults.seen)  # every request, the claim's describe included
        return error, len(faults.seen)


NOW = datetime.now(UTC)  # with microseconds, as a caller's window usually has
WINDOW = ViolationEventOccurrenceRange(start_time=NOW - timedelta(minutes=1), end_time=NOW)


@pytest.mark.parametrize(
    "request_",
    [
        {},
        {"violation_event_occurrence_range": WINDOW},
        {"include_only_active_violations": False, "include_suppressed_alerts": False},
        {"include_only_active_violations": True, "violation_event_occurrence_range": WINDOW},
        {"include_suppressed_alerts": True},
    ],
    ids=["bare", "window", "explicit-false-flags", "active-and-window", "suppressed"],
)
def test_a_start_claims_its_own_task(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str], request_: dict[str, Any]
) -> None:
    started, sent = _claim(proxy, **request_)
    assert started == "t-1"
    assert sent == 3  # the start, the retry that found the id taken, the describe
    assert list(emulator.tasks) == ["t-1"]


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ({"violation_event_occurrence_range": WINDOW, "include_only_active_violations": True}, {}),
        ({"violation_event_occurrence_range": WINDOW}, {}),
        ({}, {"violation_event_occurrence_range": WINDOW}),
        ({"include_only_active_violations": True}, {}),
        ({}, {"include_suppressed_alerts": True}),
        (
            {
                "violation_event_occurrence_range": ViolationEventOccurrenceRange(
                    start_time=WINDOW.start_time, end_time=WINDOW.end_time + timedelta(seconds=1)
                )
            },
            {"violation_event_occurrence_range": WINDOW},
        ),
    ],
    ids=["window-and-active", "window", "no-window", "active", "suppressed", "other-window"],
)
def test_a_start_never_claims_a_task_that_differs(
    emulator: DetectMitigationEmulator,
    proxy: tuple[FaultProxy, str],
    theirs: dict[str, Any],
    ours: dict[str, Any],
) -> None:
    _client(proxy[1]).start_task(task_id="t-1", target=TARGET, actions=["quarantine"], **theirs)
    outcome, sent = _claim(proxy, **ours)
    assert isinstance(outcome, TaskAlreadyExistsError)
    assert outcome.attempts == sent == 3


# --- 6. Every failure is typed and can travel ------------------------------------------------


def test_no_region_is_typed(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(pkg.NoRegionError) as caught:
        DetectMitigationClient()
    assert type(caught.value.__cause__).__name__ == "NoRegionError"


def test_an_endpoint_that_is_no_url_is_a_configuration_error() -> None:
    with pytest.raises(pkg.ConfigurationError):
        DetectMitigationClient(region_name="us-east-1", endpoint_url="not-a-url")


def test_a_timeout_beyond_what_a_thread_can_wait_still_waits(
    emulator: DetectMitigationEmulator, proxy: tuple[FaultProxy, str]
) -> None:
    client = _client(proxy[1])
    emulator.set_task_duration(describes=0)
    client.start_task(task_id="t-1", target=TARGET, actions=["quarantine"])
    assert client.wait_for_completion("t-1", timeout=1e12).task_status == "SUCCESSFUL"


def test_an_invalid_region_is_typed() -> None:
    with pytest.raises(pkg.InvalidRegionError) as caught:
        DetectMitigationClient(region_name="not a region/")
    assert caught.value.__cause__ is not None


def test_no_credentials_is_typed_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, proxy: tuple[FaultProxy, str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    faults, endpoint = proxy
    client = _client(endpoint)
    with pytest.raises(pkg.NoCredentialsError) as caught:
        client.describe_task("t-1")
    assert type(caught.value.__cause__).__name__ == "NoCredentialsError"
    assert faults.seen == []


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ("unrecognized", pkg.AuthenticationError),
        ("expired", pkg.AuthenticationError),
        ("denied", pkg.AccessDeniedError),
    ],
)
def test_authentication_and_authorization_answers_are_typed(
    proxy: tuple[FaultProxy, str], fault: Any, error_class: type[ServiceError]
) -> None:
    faults, endpoint = proxy
    faults.plan.append(fault)
    with pytest.raises(error_class) as caught:
        _client(endpoint).describe_task("t-1")
    assert caught.value.status_code == 403 and not caught.value.retryable
    assert caught.value.__cause__ is not None
    assert len(faults.seen) == 1


SUMMARY = DetectMitigationActionsTaskSummary.model_validate(
    {"taskId": "t-1", "taskStatus": "FAILED", "taskStartTime": 1_767_225_600}
)


def _examples() -> list[DetectMitigationError]:
    service: dict[str, Any] = {
        "code": "C",
        "operation_name": "Op",
        "request_id": "r",
        "status_code": 410,
    }
    found: list[DetectMitigationError] = []
    for name in pkg.__all__:
        cls = getattr(pkg, name)
        if not (isinstance(cls, type) and issubclass(cls, DetectMitigationError)):
            continue
        error: DetectMitigationError
        if issubclass(cls, ServiceError):
            error = cls("boom", **service)
        elif issubclass(cls, pkg.MitigationTimeoutError):
            result = pkg.MitigationResult(tasks=[SUMMARY], pending_violation_ids=["v-9"])
            error = cls("late", result=result, elapsed=2.5)
        elif issubclass(cls, pkg.TaskFailedError):
            failed = pkg.DetectMitigationActionExecution(thing_name="sensor", status="FAILED")
            error = cls("failed", summary=SUMMARY, failed_executions=(failed,))
        elif issubclass(cls, pkg.WaitTimeoutError):
            error = cls("late", summary=SUMMARY, elapsed=2.5)
        elif issubclass(cls, pkg.WaitError):
            error = cls("ended badly", summary=SUMMARY)
        elif issubclass(cls, TransportError):
            error = cls("lost", operation_name="Op", sent=True)
        else:
            error = cls("boom", operation_name="Op")
        error.attempts = 3
        found.append(error)
    return found


@pytest.mark.parametrize("error", _examples(), ids=lambda error: type(error).__name__)
def test_every_public_error_survives_pickle(error: DetectMitigationError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), repr(copy), copy.args) == (str(error), repr(error), error.args)
    assert copy.__dict__ == error.__dict__


def _raise_limit_exceeded(task_id: str) -> None:
    raise pkg.LimitExceededError(
        "At most 5 tasks", code="LimitExceededException", operation_name="Start", status_code=410
    )


def test_an_error_raised_in_a_process_pool_worker_reaches_the_caller_typed() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_limit_exceeded, "t-1")
        with pytest.raises(pkg.LimitExceededError) as caught:
            future.result(timeout=60)
    assert caught.value.code == "LimitExceededException" and caught.value.status_code == 410


# --- 7. Small things a library owes -----------------------------------------------------------


def test_the_package_logger_has_a_null_handler() -> None:
    import logging

    handlers = logging.getLogger("iot_detect_mitigation").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)


@pytest.mark.parametrize("poll", [1025, 10**6, 10**18])
def test_schedules_stay_finite_however_long_they_run(poll: int) -> None:
    import random

    rng = random.Random(1)
    assert 1.0 <= WaitPolicy().delay(poll, rng) <= 30.0
    assert 0.0 <= PATIENT.backoff(poll, rng) <= PATIENT.max_delay


def test_a_bare_string_of_actions_never_reaches_the_wire(proxy: tuple[FaultProxy, str]) -> None:
    faults, endpoint = proxy
    with pytest.raises(ValueError, match="actions"):
        _client(endpoint).start_task(task_id="t-1", target=TARGET, actions="quarantine")  # type: ignore[arg-type]  # what mypy now rejects, at run time too
    assert faults.seen == []
