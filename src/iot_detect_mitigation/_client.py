"""``DetectMitigationClient``: models in, boto3 calls, models or typed errors out."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from pydantic import ValidationError

from ._calls import Sender, Tally
from ._errors import (
    DetectMitigationError,
    TaskAlreadyExistsError,
    TaskCanceledError,
    TaskFailedError,
    ThrottlingError,
    TransportError,
    UnexpectedResponseError,
    from_botocore,
)
from ._models import (
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    StartDetectMitigationActionsTaskRequest,
    ViolationEventOccurrenceRange,
    describe_params,
)
from ._retry import Retrier, RetryPolicy, positive_seconds
from ._waiting import WaitPolicy, iter_task_updates

if TYPE_CHECKING:
    from mypy_boto3_iot import IoTClient

__all__ = ["DetectMitigationClient"]

logger = logging.getLogger("iot_detect_mitigation")

_START = "StartDetectMitigationActionsTask"
_DESCRIBE = "DescribeDetectMitigationActionsTask"

# AWS returns timestamps with millisecond precision, and botocore (>= 1.40.46) sends them so.
_TIMESTAMP_TOLERANCE = timedelta(milliseconds=1)

CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection, on clients the library builds (botocore's default is 60)."""
READ_TIMEOUT = 10.0
"""Seconds to wait for an answer, on clients the library builds (botocore's default is 60);
the control-plane calls answer in well under a second."""


def _build_client(
    session: boto3.Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    connect_timeout: float,
    read_timeout: float,
) -> IoTClient:
    # One retry layer (ours), and no second validation pass: our models check more than
    # botocore's ParamValidator does.
    config = Config(
        retries={"total_max_attempts": 1},
        parameter_validation=False,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    try:
        return (session or boto3.Session()).client(
            "iot", region_name=region_name, endpoint_url=endpoint_url, config=config
        )
    except (BotoCoreError, ValueError) as error:
        raise from_botocore(error, None) from error


def _default(value: float | None, default: float) -> float:
    return default if value is None else value


class DetectMitigationClient:
    """Starts, describes and waits for ML Detect mitigation actions tasks.

    Pass ``iot_client`` to use a boto3 ``iot`` client you configured; it is used as given, so
    its own botocore retries multiply with this client's ``retry_policy`` (exactly-once holds
    all the same). Without one, a client is built from ``session`` (or the default session)
    with botocore's retries and parameter validation off, and with ``connect_timeout`` and
    ``read_timeout`` in seconds. ``sleep``, ``clock`` and ``rng`` are seams for tests. One
    instance may be shared between threads.
    """

    def __init__(
        self,
        iot_client: IoTClient | None = None,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if iot_client is None:
            iot_client = _build_client(
                session,
                region_name,
                endpoint_url,
                positive_seconds("connect_timeout", _default(connect_timeout, CONNECT_TIMEOUT)),
                positive_seconds("read_timeout", _default(read_timeout, READ_TIMEOUT)),
            )
        elif any(
            option is not None
            for option in (region_name, endpoint_url, session, connect_timeout, read_timeout)
        ):
            raise ValueError(
                "region_name, endpoint_url, session, connect_timeout and read_timeout configure"
                " a client we build; set them on your own client instead"
            )
        self.iot_client = iot_client
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._retrier = Retrier(self.retry_policy, sleep=sleep, clock=clock, rng=self._rng)
        self._sender = Sender(iot_client, clock)

    def __repr__(self) -> str:
        meta = self.iot_client.meta
        return (
            f"DetectMitigationClient(region_name={meta.region_name!r}, "
            f"endpoint_url={meta.endpoint_url!r})"
        )

    def _call(
        self,
        operation: str,
        params: dict[str, Any],
        *,
        deadline: float | None = None,
        tally: Tally | None = None,
    ) -> dict[str, Any]:
        """One operation under the retry policy; errors carry every HTTP request it sent."""
        tally = tally or Tally()
        with tally.recorded():
            try:
                return self._sender.send(operation, params, tally, deadline)
            except DetectMitigationError as failure:
                return self._retrier.retry_after(
                    failure,
                    lambda _: self._sender.send(operation, params, tally, deadline),
                    deadline=deadline,
                )

    def start_task(
        self,
        *,
        task_id: str,
        target: DetectMitigationActionsTaskTarget,
        actions: list[str] | tuple[str, ...],
        violation_event_occurrence_range: ViolationEventOccurrenceRange | None = None,
        include_only_active_violations: bool | None = None,
        include_suppressed_alerts: bool | None = None,
        client_request_token: str | None = None,
    ) -> str:
        """Start a task and return its id; the request is validated before anything is sent.

        Every retry of this call sends the same ``client_request_token`` (a new uuid4 when none
        is given). If the task id turns out taken after an earlier request of this call may
        have reached AWS (a retry of ours, or a re-send by botocore inside one attempt), the
        task is described: when it is the task this call asked for, its id is returned;
        otherwise ``TaskAlreadyExistsError`` is raised.
        """
        request = StartDetectMitigationActionsTaskRequest(
            task_id=task_id,
            target=target,
            # A bare string is no list of names: the model rejects it, naming ``actions``.
            actions=list(actions) if isinstance(actions, tuple) else actions,
            violation_event_occurrence_range=violation_event_occurrence_range,
            include_only_active_violations=include_only_active_violations,
            include_suppressed_alerts=include_suppressed_alerts,
            client_request_token=client_request_token or str(uuid.uuid4()),
        )
        start = _Start(self._sender, request)
        with start.tally.recorded():
            try:
                started = start.attempt()
            except DetectMitigationError as failure:
                started = self._retrier.retry_after(failure, start.attempt)
            if started is not None:
                return started
            return self._claim_existing(start)

    def _claim_existing(self, start: _Start) -> str:
        """An earlier request may have started the task and lost its answer: check it is ours."""
        assert start.conflict is not None
        summary = self._describe(start.request.task_id, tally=start.tally)
        if _matches(summary, start.request):
            logger.info("task %s was started by an earlier request of this call", summary.task_id)
            return start.request.task_id
        raise start.conflict

    def describe_task(self, task_id: str) -> DetectMitigationActionsTaskSummary:
        """The current state of a task."""
        return self._describe(task_id)

    def _describe(
        self, task_id: str, *, deadline: float | None = None, tally: Tally | None = None
    ) -> DetectMitigationActionsTaskSummary:
        response = self._call(_DESCRIBE, describe_params(task_id), deadline=deadline, tally=tally)
        try:
            return DetectMitigationActionsTaskSummary.model_validate(response["taskSummary"])
        except (ValidationError, KeyError, TypeError) as error:
            raise UnexpectedResponseError(
                f"cannot read the task summary: {error}", operation_name=_DESCRIBE
            ) from error

    def iter_task_updates(
        self,
        task_id: str,
        *,
        timeout: float = 600.0,
        wait_policy: WaitPolicy | None = None,
    ) -> Iterator[DetectMitigationActionsTaskSummary]:
        """Yield the task's summary each time its status or statistics change, until it ends.

        Raises ``WaitTimeoutError`` when it has not ended ``timeout`` seconds after the first
        poll, at the latest one second after that, however the network behaves. It does not
        raise for FAILED or CANCELED: the last summary yielded says so.
        """
        return iter_task_updates(
            lambda task, deadline: self._describe(task, deadline=deadline),
            task_id,
            timeout=positive_seconds("timeout", timeout),
            policy=wait_policy or WaitPolicy(),
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
        )

    def wait_for_completion(
        self,
        task_id: str,
        *,
        timeout: float = 600.0,
        wait_policy: WaitPolicy | None = None,
        on_update: Callable[[DetectMitigationActionsTaskSummary], None] | None = None,
        raise_on_failure: bool = True,
    ) -> DetectMitigationActionsTaskSummary:
        """Poll until the task ends and return its final summary.

        ``on_update`` is called with each summary whose status or statistics changed. A task
        that ends FAILED or CANCELED raises ``TaskFailedError`` or ``TaskCanceledError``
        (carrying ``.summary``) unless ``raise_on_failure`` is false, in which case the summary
        is returned. Past the deadline, ``WaitTimeoutError`` is raised, at the latest one second
        after it.
        """
        final: DetectMitigationActionsTaskSummary | None = None
        for summary in self.iter_task_updates(task_id, timeout=timeout, wait_policy=wait_policy):
            if on_update is not None:
                on_update(summary)
            final = summary
        assert final is not None  # the iterator yields at least the summary that ended it
        if raise_on_failure and final.task_status == DetectMitigationActionsTaskStatus.FAILED:
            raise TaskFailedError(f"task {task_id} FAILED", summary=final)
        if raise_on_failure and final.task_status == DetectMitigationActionsTaskStatus.CANCELED:
            raise TaskCanceledError(f"task {task_id} was CANCELED", summary=final)
        return final


class _Start:
    """The attempts of one logical start: one token, one tally, and what they may have done."""

    def __init__(self, sender: Sender, request: StartDetectMitigationActionsTaskRequest) -> None:
        self.request = request
        self.params = request.to_boto3()
        self.tally = Tally()
        self.may_have_acted = False
        """Whether a request sent before the latest one may have started the task."""
        self.conflict: TaskAlreadyExistsError | None = None
        self._sender = sender

    def attempt(self, _number: int = 1) -> str | None:
        """The task id, or None for a conflict that an earlier request of ours may explain."""
        try:
            response = self._sender.send(_START, self.params, self.tally)
        except TaskAlreadyExistsError as error:
            # botocore re-sending inside this attempt means an earlier request may have acted.
            if not (self.may_have_acted or self.tally.last > 1):
                raise
            self.conflict = error
            return None
        except DetectMitigationError as error:
            self.may_have_acted |= self.tally.last > 1 or _may_have_acted(error)
            raise
        return str(response.get("taskId") or self.request.task_id)


def _may_have_acted(error: DetectMitigationError) -> bool:
    """Whether a failed start may have acted on the server: a throttled request, or one that
    never left, did nothing."""
    if isinstance(error, TransportError):
        return error.sent
    return not isinstance(error, ThrottlingError)


def _matches(
    summary: DetectMitigationActionsTaskSummary, request: StartDetectMitigationActionsTaskRequest
) -> bool:
    """Whether a described task is exactly the one ``request`` asks for.

    AWS does not echo the token, so target, actions, window and both flags must all agree. An
    omitted flag means false, and an omitted window matches only a task without one.
    """
    got_target = summary.target
    if got_target is None or (
        got_target.security_profile_name,
        got_target.behavior_name,
        sorted(got_target.violation_ids or []),
    ) != (
        request.target.security_profile_name,
        request.target.behavior_name,
        sorted(request.target.violation_ids or []),
    ):
        return False
    defined = sorted(action.name or "" for action in summary.actions_definition or [])
    if defined != sorted(request.actions):
        return False
    wanted, got = request.violation_event_occurrence_range, summary.violation_event_occurrence_range
    if (wanted is None) != (got is None):
        return False
    if (
        wanted is not None
        and got is not None
        and (
            got.start_time is None
            or got.end_time is None
            or abs(wanted.start_time - got.start_time) > _TIMESTAMP_TOLERANCE
            or abs(wanted.end_time - got.end_time) > _TIMESTAMP_TOLERANCE
        )
    ):
        return False
    return bool(request.include_only_active_violations) == bool(
        summary.only_active_violations_included
    ) and bool(request.include_suppressed_alerts) == bool(summary.suppressed_alerts_included)
