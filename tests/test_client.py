"""The client on botocore's Stubber and on a scripted wire: calls, errors, retries, tokens."""

from __future__ import annotations

import logging
import random
import string
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.stub import Stubber
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from pydantic import ValidationError

from iot_detect_mitigation import (
    DescribeDetectMitigationActionsTaskRequest,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    DetectMitigationError,
    InternalFailureError,
    InvalidRequestError,
    LimitExceededError,
    ResourceNotFoundError,
    RetryPolicy,
    ServiceError,
    TaskAlreadyExistsError,
    ThrottlingError,
    TransportError,
    UnexpectedResponseError,
    ViolationEventOccurrenceRange,
)

from .wire import Wire, error

SERVICE = botocore.session.get_session().get_service_model("iot")
START, DESCRIBE = "StartDetectMitigationActionsTask", "DescribeDetectMitigationActionsTask"
METHOD = {
    START: "start_detect_mitigation_actions_task",
    DESCRIBE: "describe_detect_mitigation_actions_task",
}
TARGET = DetectMitigationActionsTaskTarget(violation_ids=["v-1"])
SUMMARY = {
    "taskId": "t-1",
    "taskStatus": "IN_PROGRESS",
    "target": {"violationIds": ["v-1"]},
    "actionsDefinition": [{"name": "quarantine", "id": "a-1"}],
    "taskStatistics": {"actionsExecuted": 0, "actionsSkipped": 0, "actionsFailed": 0},
}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> DetectMitigationClient:
    return DetectMitigationClient(
        region_name="us-east-1", sleep=sleeps.append, rng=random.Random(7)
    )


@pytest.fixture
def stubber(client: DetectMitigationClient) -> Iterator[Stubber]:
    # moto is the guard: a request the stubber does not answer never leaves the machine.
    with mock_aws(), Stubber(client.iot_client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def wire(client: DetectMitigationClient) -> Wire:
    return Wire().attach(client.iot_client)


def start(client: DetectMitigationClient, **overrides: Any) -> str:
    kwargs: dict[str, Any] = {"task_id": "t-1", "target": TARGET, "actions": ["quarantine"]}
    return client.start_task(**{**kwargs, **overrides})


def test_start_sends_the_validated_request(
    client: DetectMitigationClient, stubber: Stubber
) -> None:
    window = ViolationEventOccurrenceRange(
        start_time=datetime(2026, 1, 1, tzinfo=UTC), end_time=datetime(2026, 1, 2, tzinfo=UTC)
    )
    stubber.add_response(
        METHOD[START],
        {"taskId": "t-1"},
        {
            "taskId": "t-1",
            "target": {"violationIds": ["v-1"]},
            "actions": ["quarantine"],
            "violationEventOccurrenceRange": {
                "startTime": window.start_time,
                "endTime": window.end_time,
            },
            "includeOnlyActiveViolations": True,
            "includeSuppressedAlerts": False,
            "clientRequestToken": "my-token",
        },
    )
    task_id = start(
        client,
        violation_event_occurrence_range=window,
        include_only_active_violations=True,
        include_suppressed_alerts=False,
        client_request_token="my-token",
    )
    assert task_id == "t-1"


def test_describe_returns_a_summary(client: DetectMitigationClient, stubber: Stubber) -> None:
    stubber.add_response(METHOD[DESCRIBE], {"taskSummary": SUMMARY}, {"taskId": "t-1"})
    summary = client.describe_task("t-1")
    assert summary.task_status is DetectMitigationActionsTaskStatus.IN_PROGRESS
    assert summary.task_statistics.actions_executed == 0
    assert summary.target is not None
    assert summary.target.model_dump() == TARGET.model_dump()


def test_bad_input_is_rejected_before_any_call(client: DetectMitigationClient, wire: Wire) -> None:
    with pytest.raises(ValidationError, match="actions"):
        start(client, actions=[])
    with pytest.raises(ValidationError, match="task_id"):
        client.describe_task("no spaces allowed")
    with pytest.raises(ValidationError, match="client_request_token"):
        start(client, client_request_token="x" * 65)
    assert wire.requests == []


_ID_CHARS = string.ascii_letters + string.digits + "_-"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=140),
        st.text(alphabet=_ID_CHARS, min_size=120, max_size=135),
    )
)
@example("a\n")  # Python's $ would accept the newline; AWS does not
@example("")
@example("a" * 128)
@example("a" * 129)
@example("ß-ok")
def test_describe_checks_the_task_id_exactly_as_the_model_does(
    client: DetectMitigationClient, task_id: str
) -> None:
    """describe_task skips the request model for plainly valid ids; the verdict is the same."""
    try:
        request = DescribeDetectMitigationActionsTaskRequest(task_id=task_id)
    except ValidationError as rejected:
        with pytest.raises(ValidationError) as raised:
            client.describe_task(task_id)
        assert raised.value.errors() == rejected.errors()
        return
    with Stubber(client.iot_client) as stub:
        stub.add_response(METHOD[DESCRIBE], {"taskSummary": SUMMARY}, request.to_boto3())
        client.describe_task(task_id)
        stub.assert_no_pending_responses()


def _error_cases() -> list[Any]:
    cases = []
    for operation in (START, DESCRIBE):
        for shape in SERVICE.operation_model(operation).error_shapes:
            status = shape.metadata["error"]["httpStatusCode"]
            cases.append(
                pytest.param(operation, shape.name, status, id=f"{operation}-{shape.name}")
            )
    return cases


EXPECTED_CLASS = {
    "InvalidRequestException": InvalidRequestError,
    "TaskAlreadyExistsException": TaskAlreadyExistsError,
    "LimitExceededException": LimitExceededError,
    "ThrottlingException": ThrottlingError,
    "InternalFailureException": InternalFailureError,
    "ResourceNotFoundException": ResourceNotFoundError,
}


@pytest.mark.parametrize(("operation", "code", "status"), _error_cases())
def test_every_error_code_becomes_its_typed_error(
    client: DetectMitigationClient, stubber: Stubber, operation: str, code: str, status: int
) -> None:
    attempts = RetryPolicy().max_attempts if EXPECTED_CLASS[code].retryable else 1
    for _ in range(attempts):
        stubber.add_client_error(
            METHOD[operation],
            service_error_code=code,
            service_message="it went wrong",
            http_status_code=status,
            response_meta={"RequestId": "req-42"},
        )
    with pytest.raises(ServiceError) as caught:
        if operation == START:
            start(client)
        else:
            client.describe_task("t-1")
    err = caught.value
    assert type(err) is EXPECTED_CLASS[code]
    assert (err.code, err.message, err.request_id, err.status_code, err.operation_name) == (
        code,
        "it went wrong",
        "req-42",
        status,
        operation,
    )
    assert isinstance(err.__cause__, ClientError)
    assert err.attempts == attempts
    assert f"{code}: it went wrong" in str(err) and "req-42" in str(err)


def test_an_unknown_code_is_a_plain_service_error(
    client: DetectMitigationClient, wire: Wire
) -> None:
    wire.script = [error("BrandNewException", 403)]
    with pytest.raises(ServiceError) as caught:
        client.describe_task("t-1")
    assert type(caught.value) is ServiceError
    assert caught.value.code == "BrandNewException"
    assert caught.value.status_code == 403


def test_throttling_is_retried_with_the_same_token(
    client: DetectMitigationClient,
    wire: Wire,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wire.script = [
        error("ThrottlingException"),
        error("ThrottlingException"),
        (200, {"taskId": "t-1"}),
    ]
    with caplog.at_level(logging.WARNING, logger="iot_detect_mitigation"):
        assert start(client) == "t-1"
    tokens = {body["clientRequestToken"] for body in wire.bodies()}
    assert len(wire.requests) == 3 and len(tokens) == 1
    assert uuid.UUID(tokens.pop())  # generated once, a uuid4
    assert len(sleeps) == 2
    policy = client.retry_policy
    assert 0 <= sleeps[0] <= policy.base_delay and 0 <= sleeps[1] <= 2 * policy.base_delay
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert START in messages[0] and "attempt 1" in messages[0] and "ThrottlingError" in messages[0]
    assert f"{sleeps[0]:.2f}s" in messages[0]


def test_separate_calls_get_separate_tokens(client: DetectMitigationClient, wire: Wire) -> None:
    wire.script = [(200, {"taskId": "a"}), (200, {"taskId": "b"})]
    start(client, task_id="a")
    start(client, task_id="b")
    first, second = (body["clientRequestToken"] for body in wire.bodies())
    assert first != second


def test_exhausted_throttling_raises_the_last_error_with_the_count(sleeps: list[float]) -> None:
    client = DetectMitigationClient(
        region_name="us-east-1", retry_policy=RetryPolicy(max_attempts=3), sleep=sleeps.append
    )
    wire = Wire(responder=lambda _: error("ThrottlingException", message="Rate exceeded"))
    wire.attach(client.iot_client)
    with pytest.raises(ThrottlingError) as caught:
        client.describe_task("t-1")
    assert len(wire.requests) == 3
    assert caught.value.attempts == 3
    assert "gave up after 3 attempts" in str(caught.value)
    assert len(sleeps) == 2


def test_total_delay_bounds_the_retries() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=20, base_delay=10, max_delay=10, max_total_delay=25)
    client = DetectMitigationClient(
        region_name="us-east-1", retry_policy=policy, sleep=sleeps.append, rng=random.Random(1)
    )
    wire = Wire(responder=lambda _: error("ThrottlingException")).attach(client.iot_client)
    with pytest.raises(ThrottlingError):
        client.describe_task("t-1")
    assert sum(sleeps) <= 25 < sum(sleeps) + 10
    assert len(wire.requests) == len(sleeps) + 1 < 20


def test_limit_exceeded_is_a_quota_and_never_retried(
    client: DetectMitigationClient, wire: Wire, sleeps: list[float]
) -> None:
    wire.script = [error("LimitExceededException", 410)]
    with pytest.raises(LimitExceededError):
        start(client)
    assert len(wire.requests) == 1 and sleeps == []


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(3)
    for retry in range(1, 8):
        ceiling = min(5.0, 2.0 ** (retry - 1))
        samples = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.8 * ceiling  # the whole range is used
    with pytest.raises(ValueError, match="max_delay must be finite and not less than base_delay"):
        RetryPolicy(base_delay=2, max_delay=1)
    with pytest.raises(ValueError, match="max_attempts must be from 1 to 20"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("fault", "sent"),
    [
        (ConnectionClosedError(endpoint_url="http://x"), True),
        (ReadTimeoutError(endpoint_url="http://x"), True),
        (EndpointConnectionError(endpoint_url="http://x"), False),
    ],
)
def test_transport_faults_are_typed_and_retried(
    client: DetectMitigationClient, wire: Wire, fault: Exception, sent: bool
) -> None:
    wire.script = [fault, (200, {"taskSummary": SUMMARY})]
    assert client.describe_task("t-1").task_id == "t-1"
    wire.responder = lambda _: fault
    with pytest.raises(TransportError) as caught:
        client.describe_task("t-1")
    assert caught.value.sent is sent
    assert caught.value.__cause__ is fault
    assert caught.value.attempts == client.retry_policy.max_attempts


def test_other_botocore_failures_are_ours_too(client: DetectMitigationClient, wire: Wire) -> None:
    wire.script = [NoCredentialsError()]
    with pytest.raises(DetectMitigationError, match="Unable to locate credentials"):
        client.describe_task("t-1")


def test_a_lost_answer_then_conflict_is_claimed_when_the_task_is_ours(
    client: DetectMitigationClient, wire: Wire
) -> None:
    # The first start reached the server and started the task, but its answer was lost.
    wire.script = [
        ConnectionClosedError(endpoint_url="http://x"),
        error("TaskAlreadyExistsException"),
        (200, {"taskSummary": SUMMARY}),
    ]
    assert start(client) == "t-1"
    assert [r.method for r in wire.requests] == ["PUT", "PUT", "GET"]


def test_a_conflict_with_a_different_task_is_not_claimed(
    client: DetectMitigationClient, wire: Wire
) -> None:
    other = {**SUMMARY, "actionsDefinition": [{"name": "notify"}]}
    wire.script = [
        error("InternalFailureException", 500),
        error("TaskAlreadyExistsException"),
        (200, {"taskSummary": other}),
    ]
    with pytest.raises(TaskAlreadyExistsError):
        start(client)


@pytest.mark.parametrize(
    "first", [error("ThrottlingException"), EndpointConnectionError(endpoint_url="http://x")]
)
def test_a_conflict_after_a_harmless_failure_is_never_claimed(
    client: DetectMitigationClient, wire: Wire, first: Any
) -> None:
    # A throttled or refused attempt did nothing, so the id belongs to someone else.
    wire.script = [first, error("TaskAlreadyExistsException")]
    with pytest.raises(TaskAlreadyExistsError):
        start(client)
    assert len(wire.requests) == 2  # no describe


def test_a_conflict_on_the_first_attempt_is_never_claimed(
    client: DetectMitigationClient, wire: Wire
) -> None:
    wire.script = [error("TaskAlreadyExistsException")]
    with pytest.raises(TaskAlreadyExistsError):
        start(client)
    assert len(wire.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"taskSummary": {"taskStatistics": {"actionsExecuted": "many"}}},
        {"taskSummary": {"target": {"violationIds": [7]}}},
        {"taskSummary": {"taskStatus": 3}},
        {"taskSummary": {"taskStartTime": "yesterday"}},
    ],
)
def test_unreadable_summaries_raise_a_typed_error(
    client: DetectMitigationClient, wire: Wire, body: dict[str, Any]
) -> None:
    wire.script = [(200, body)]
    with pytest.raises(UnexpectedResponseError) as caught:
        client.describe_task("t-1")
    assert caught.value.operation_name == DESCRIBE


def test_a_built_client_has_one_retry_layer_and_no_second_validation() -> None:
    client = DetectMitigationClient(region_name="eu-west-1", endpoint_url="http://127.0.0.1:1")
    config = client.iot_client.meta.config
    assert config.retries is not None and config.retries["total_max_attempts"] == 1  # type: ignore[attr-defined]  # botocore-stubs omit Config.retries
    # botocore's ParamValidator is off: a request it would reject reaches the wire.
    wire = Wire(script=[error("InvalidRequestException")]).attach(client.iot_client)
    with pytest.raises(ClientError):
        client.iot_client.start_detect_mitigation_actions_task(
            taskId="t", target={}, actions=[], clientRequestToken="x"
        )
    assert len(wire.requests) == 1
    assert client.iot_client.meta.region_name == "eu-west-1"
    assert repr(client) == (
        "DetectMitigationClient(region_name='eu-west-1', endpoint_url='http://127.0.0.1:1')"
    )
    with pytest.raises(ValueError, match="configure a client we build"):
        DetectMitigationClient(client.iot_client, region_name="eu-west-1")


def test_one_client_serves_many_threads(client: DetectMitigationClient) -> None:
    def echo(request: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"taskId": request.url.rsplit("/", 1)[-1]}

    Wire(responder=echo).attach(client.iot_client)
    results: dict[str, str] = {}

    def run(n: int) -> None:
        results[f"t-{n}"] = start(client, task_id=f"t-{n}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {f"t-{n}": f"t-{n}" for n in range(16)}


def test_no_secret_in_reprs_messages_or_logs(
    client: DetectMitigationClient, wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = ("fake-secret-key-do-not-leak", "fake-session-token-do-not-leak")
    wire.script = [
        error("ThrottlingException"),
        ConnectionClosedError(endpoint_url="http://x"),
        error("InvalidRequestException"),
    ]
    with (
        caplog.at_level(logging.DEBUG, logger="iot_detect_mitigation"),
        pytest.raises(InvalidRequestError) as caught,
    ):
        start(client)
    seen = " ".join(
        [
            repr(client),
            str(caught.value),
            repr(caught.value),
            caplog.text,
            repr(client.retry_policy),
        ]
    )
    assert caplog.records and not any(secret in seen for secret in secrets)


def test_a_page_with_an_item_it_cannot_read_yields_the_items_before_it_then_raises(
    client: DetectMitigationClient,
) -> None:
    readable = [{"thingName": "sensor-1", "status": "FAILED"}, {"thingName": "sensor-2"}]
    page = {"actionsExecutions": [*readable, {"thingName": "sensor-3", "status": 5}, {}]}
    Wire(responder=lambda _: (200, page)).attach(client.iot_client)

    executions = client.list_executions(task_id="t-1")

    assert [next(executions).thing_name for _ in readable] == ["sensor-1", "sensor-2"]
    with pytest.raises(UnexpectedResponseError, match="status") as caught:
        next(executions)
    assert caught.value.operation_name == "ListDetectMitigationActionsExecutions"
