"""``DetectMitigationClient``: models in, boto3 calls, models or typed errors out."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

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
from ._retry import Retrier, RetryPolicy
from ._waiting import WaitPolicy, iter_task_updates

if TYPE_CHECKING:
    from mypy_boto3_iot import IoTClient

__all__ = ["DetectMitigationClient"]

logger = logging.getLogger("iot_detect_mitigation")

_START = "StartDetectMitigationActionsTask"
_DESCRIBE = "DescribeDetectMitigationActionsTask"

# AWS returns timestamps with millisecond precision; a request's may be finer.
_TIMESTAMP_TOLERANCE = timedelta(milliseconds=1)


def _own_client_config() -> Config:
    # One retry layer (ours), and no second validation pass: our models check more than
    # botocore's ParamValidator does.
    return Config(retries={"total_max_attempts": 1}, parameter_validation=False)


class DetectMitigationClient:
    """Starts, describes and waits for ML Detect mitigation actions tasks.

    Pass ``iot_client`` to use a boto3 ``iot`` client you configured; it is used as given, so
    its own botocore retries multiply with this client's ``retry_policy``. Without one, a client
    is built from ``session`` (or the default session) with botocore's retries and parameter
    validation off. ``sleep``, ``clock`` and ``rng`` are seams for tests. One instance may be
    shared between threads.
    """

    def __init__(
        self,
        iot_client: IoTClient | None = None,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if iot_client is None:
            iot_client = (session or boto3.Session()).client(
                "iot",
                region_name=region_name,
                endpoint_url=endpoint_url,
                config=_own_client_config(),
            )
        elif region_name is not None or endpoint_url is not None or session is not None:
            raise ValueError("region_name, endpoint_url and session configure a client we build")
        self.iot_client = iot_client
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._retrier = Retrier(self.retry_policy, sleep=sleep, rng=self._rng)

    def __repr__(self) -> str:
        meta = self.iot_client.meta
        return (
            f"DetectMitigationClient(region_name={meta.region_name!r}, "
            f"endpoint_url={meta.endpoint_url!r})"
        )

    def _invoke(
        self, operation_name: str, method: Callable[..., Any], params: dict[str, Any]
    ) -> Any:
        try:
            return method(**params)
        except (ClientError, BotoCoreError) as error:
            raise from_botocore(error, operation_name) from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # botocore's parser lets these out unwrapped on odd bodies (found by fuzzing).
            raise UnexpectedResponseError(
                f"cannot parse the response: {error}", operation_name=operation_name
            ) from error

    def start_task(
        self,
        *,
        task_id: str,
        target: DetectMitigationActionsTaskTarget,
        actions: Sequence[str],
        violation_event_occurrence_range: ViolationEventOccurrenceRange | None = None,
        include_only_active_violations: bool | None = None,
        include_suppressed_alerts: bool | None = None,
        client_request_token: str | None = None,
    ) -> str:
        """Start a task and return its id; the request is validated before anything is sent.

        Every retry of this call sends the same ``client_request_token`` (a new uuid4 when none
        is given). If a retry finds the task id taken after an earlier attempt may have reached
        AWS, the task is described: when it is the task this call asked for, its id is returned;
        otherwise ``TaskAlreadyExistsError`` is raised.
        """
        request = StartDetectMitigationActionsTaskRequest(
            task_id=task_id,
            target=target,
            actions=list(actions),
            violation_event_occurrence_range=violation_event_occurrence_range,
            include_only_active_violations=include_only_active_violations,
            include_suppressed_alerts=include_suppressed_alerts,
            client_request_token=client_request_token or str(uuid.uuid4()),
        )
        params = request.to_boto3()
        try:
            response = self._invoke(
                _START, self.iot_client.start_detect_mitigation_actions_task, params
            )
        except DetectMitigationError as failure:
            return self._retry_start(request, params, failure)
        return str(response.get("taskId") or request.task_id)

    def _retry_start(
        self,
        request: StartDetectMitigationActionsTaskRequest,
        params: dict[str, Any],
        failure: DetectMitigationError,
    ) -> str:
        """The first attempt failed: retry with the same token, and if the task id turns out
        taken after an attempt that may have reached AWS, check whether the task is ours."""
        may_have_acted = _may_have_acted(failure)
        conflict: TaskAlreadyExistsError | None = None

        def attempt(number: int) -> str | None:
            nonlocal may_have_acted, conflict
            try:
                response = self._invoke(
                    _START, self.iot_client.start_detect_mitigation_actions_task, params
                )
            except TaskAlreadyExistsError as error:
                if not may_have_acted:
                    raise
                conflict = error
                return None
            except DetectMitigationError as error:
                may_have_acted = may_have_acted or _may_have_acted(error)
                raise
            return str(response.get("taskId") or request.task_id)

        started = self._retrier.retry_after(failure, attempt)
        if started is not None:
            return started
        assert conflict is not None
        return self._claim_existing(request, conflict)

    def _claim_existing(
        self, request: StartDetectMitigationActionsTaskRequest, conflict: TaskAlreadyExistsError
    ) -> str:
        """An earlier attempt may have started the task and lost its answer: check it is ours."""
        summary = self.describe_task(request.task_id)
        if _matches(summary, request):
            logger.info("task %s was started by an earlier attempt of this call", request.task_id)
            return request.task_id
        raise conflict

    def describe_task(self, task_id: str) -> DetectMitigationActionsTaskSummary:
        """The current state of a task."""
        params = describe_params(task_id)
        describe = self.iot_client.describe_detect_mitigation_actions_task
        try:
            response = self._invoke(_DESCRIBE, describe, params)
        except DetectMitigationError as failure:
            response = self._retrier.retry_after(
                failure, lambda _: self._invoke(_DESCRIBE, describe, params)
            )
        try:
            return DetectMitigationActionsTaskSummary.from_aws(response["taskSummary"])
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
        poll. It does not raise for FAILED or CANCELED: the last summary yielded says so.
        """
        return iter_task_updates(
            self.describe_task,
            task_id,
            timeout=timeout,
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
        is returned. Past the deadline, ``WaitTimeoutError`` is raised.
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


def _may_have_acted(error: DetectMitigationError) -> bool:
    """Whether a failed start may have acted on the server: a throttled request, or one that
    never left, did nothing."""
    if isinstance(error, TransportError):
        return error.sent
    return not isinstance(error, ThrottlingError)


def _matches(
    summary: DetectMitigationActionsTaskSummary, request: StartDetectMitigationActionsTaskRequest
) -> bool:
    """Whether a described task is the one ``request`` asks for (the token is not echoed)."""
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
    # Where the request left a member to AWS's default, any echoed value is consistent with it.
    wanted, got = request.violation_event_occurrence_range, summary.violation_event_occurrence_range
    if wanted is not None and (
        got is None
        or abs(wanted.start_time - got.start_time) > _TIMESTAMP_TOLERANCE
        or abs(wanted.end_time - got.end_time) > _TIMESTAMP_TOLERANCE
    ):
        return False
    for asked, echoed in (
        (request.include_only_active_violations, summary.only_active_violations_included),
        (request.include_suppressed_alerts, summary.suppressed_alerts_included),
    ):
        if asked is not None and echoed is not None and asked != echoed:
            return False
    return True
