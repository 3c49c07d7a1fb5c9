"""``DetectMitigationClient``: models in, boto3 calls, models or typed errors out."""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from pydantic import BaseModel, ValidationError

from ._calls import Sender, Tally
from ._errors import (
    DetectMitigationError,
    TaskAlreadyExistsError,
    TaskCanceledError,
    TaskFailedError,
    UnexpectedResponseError,
)
from ._incident import IncidentRun, plan_tasks
from ._models import (
    CancelDetectMitigationActionsTaskRequest,
    DetectMitigationActionExecution,
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    ListDetectMitigationActionsExecutionsRequest,
    ListDetectMitigationActionsTasksRequest,
    MitigationResult,
    StartDetectMitigationActionsTaskRequest,
    ViolationEventOccurrenceRange,
    describe_params,
)
from ._reconcile import matches, may_have_acted
from ._retry import Retrier, RetryPolicy, positive_seconds
from ._session import CANCEL, DESCRIBE, LIST_EXECUTIONS, LIST_TASKS, START, build_client
from ._waiting import WaitPolicy, iter_task_updates

if TYPE_CHECKING:
    from mypy_boto3_iot import IoTClient
    from pydantic import TypeAdapter

__all__ = ["DetectMitigationClient"]

logger = logging.getLogger("iot_detect_mitigation")

_LARGEST_PAGE = 250
_PAGE_INTERVAL = 0.1
"""AWS allows 10 requests a second for each list operation: one listing keeps within it."""

M = TypeVar("M", bound=BaseModel)

CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection, on clients the library builds (botocore's default is 60)."""
READ_TIMEOUT = 10.0
"""Seconds to wait for an answer, on clients the library builds (botocore's default is 60);
the control-plane calls answer in well under a second."""


def _default(value: float | None, default: float) -> float:
    return default if value is None else value


class DetectMitigationClient:
    """Starts, describes and waits for ML Detect mitigation actions tasks.

    Pass ``iot_client`` to use a boto3 ``iot`` client you configured; it is used as given, so
    its own botocore retries multiply with this client's ``retry_policy`` (exactly-once holds
    all the same). Without one, a client is built from ``session`` (or a default session)
    with botocore's retries and parameter validation off, and with ``connect_timeout`` and
    ``read_timeout`` in seconds; without ``session``, it holds only the operations this library
    calls until you read ``iot_client`` (a shorter cold start). ``sleep``, ``clock`` and ``rng``
    are seams for tests. One instance may be shared between threads.
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
        self._complete: Callable[[], IoTClient] | None = None
        if iot_client is None:
            iot_client, self._complete = build_client(
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
        self._iot_client = iot_client
        self._completing = threading.Lock()
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._retrier = Retrier(self.retry_policy, sleep=sleep, clock=clock, rng=self._rng)
        self._sender = Sender(iot_client, clock)

    @property
    def iot_client(self) -> IoTClient:
        """The boto3 ``iot`` client every call goes through: yours, or the one this client built.

        A client the library builds starts out with only the operations it calls (a faster cold
        start); the first access here replaces it with a complete one, same settings, and every
        call from then on goes through that, so a Stubber or an event handler you attach to it
        sees them.
        """
        if self._complete is not None:
            with self._completing:
                if self._complete is not None:
                    self._iot_client = self._complete()
                    self._sender = Sender(self._iot_client, self._clock)
                    self._complete = None
        return self._iot_client

    def __repr__(self) -> str:
        meta = self._iot_client.meta
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
        try:
            return self._sender.send(operation, params, tally, deadline)
        except DetectMitigationError as failure:
            # Only a failure enters the context that stamps attempts: success pays nothing.
            with tally.recorded():
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
        capacity_timeout: float | None = None,
    ) -> str:
        """Start a task and return its id; the request is validated before anything is sent.

        Every retry of this call sends the same ``client_request_token`` (a new uuid4 when none
        is given). If the task id turns out taken after an earlier request of this call may
        have reached AWS (a retry of ours, or a re-send by botocore inside one attempt), the
        task is described: when it is the task this call asked for, its id is returned;
        otherwise ``TaskAlreadyExistsError`` is raised.

        With ``capacity_timeout`` (seconds), a ``LimitExceededException`` from the concurrent-task
        quota waits for a free slot, with jittered backoff, and then starts, still with the same
        token; once ``capacity_timeout`` has run out, ``LimitExceededError`` is raised. ``None``
        raises it at once.
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
        if capacity_timeout is None:
            return self._start(request)
        capacity_deadline = self._clock() + positive_seconds("capacity_timeout", capacity_timeout)
        return self._retrier.until_capacity(lambda: self._start(request), capacity_deadline)

    def _start(self, request: StartDetectMitigationActionsTaskRequest) -> str:
        start = _Start(self._sender, request)
        try:
            started = start.attempt()
        except DetectMitigationError as failure:
            with start.tally.recorded():  # every failure passes here or through the claim
                started = self._retrier.retry_after(failure, start.attempt)
        if started is not None:
            return started
        with start.tally.recorded():
            return self._claim_existing(start)

    def _claim_existing(self, start: _Start) -> str:
        """An earlier request may have started the task and lost its answer: check it is ours."""
        assert start.conflict is not None
        summary = self._describe(start.request.task_id, tally=start.tally)
        if matches(summary, start.request):
            logger.info("task %s was started by an earlier request of this call", summary.task_id)
            return start.request.task_id
        raise start.conflict

    def _start_or_adopt(
        self, request: StartDetectMitigationActionsTaskRequest
    ) -> DetectMitigationActionsTaskSummary | None:
        """Start; if the id is taken by exactly this task (an earlier run's), adopt it."""
        try:
            self._start(request)
        except TaskAlreadyExistsError:
            summary = self._describe(request.task_id)
            if not matches(summary, request):
                raise
            logger.info("task %s was started by an earlier run; adopting it", request.task_id)
            return summary
        return None

    def describe_task(self, task_id: str) -> DetectMitigationActionsTaskSummary:
        """The current state of a task."""
        return self._describe(task_id)

    def _describe(
        self, task_id: str, *, deadline: float | None = None, tally: Tally | None = None
    ) -> DetectMitigationActionsTaskSummary:
        response = self._call(DESCRIBE, describe_params(task_id), deadline=deadline, tally=tally)
        return _parse(DetectMitigationActionsTaskSummary, response.get("taskSummary"), DESCRIBE)

    def cancel_task(self, task_id: str) -> None:
        """Cancel a task in progress; its executions not yet run are SKIPPED.

        AWS answers ``InvalidRequestException`` for a task that has already ended and
        ``ResourceNotFoundException`` for an unknown one.
        """
        self._call(CANCEL, CancelDetectMitigationActionsTaskRequest(task_id=task_id).to_boto3())

    def list_executions(
        self,
        *,
        task_id: str | None = None,
        violation_id: str | None = None,
        thing_name: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_size: int | None = None,
    ) -> Iterator[DetectMitigationActionExecution]:
        """Every execution that matches, one per (violation, action): which thing, and how it went.

        Give either ``task_id`` or a whole time range (``start_time`` and ``end_time``), never
        both, as AWS requires; ``violation_id`` and ``thing_name`` narrow it. Pages (of
        ``page_size``, 1-250) are fetched as the iterator is consumed, each under the retry
        policy; pages follow each other at most 10 a second, AWS's quota for the operation. The
        arguments are checked when this is called, before any request.
        """
        request = ListDetectMitigationActionsExecutionsRequest(
            task_id=task_id,
            violation_id=violation_id,
            thing_name=thing_name,
            start_time=start_time,
            end_time=end_time,
            max_results=page_size,
        )
        return self._paginate(
            LIST_EXECUTIONS,
            request.model_dump(exclude_none=True),
            "actionsExecutions",
            DetectMitigationActionExecution,
        )

    def list_tasks(
        self, *, start_time: datetime, end_time: datetime, page_size: int | None = None
    ) -> Iterator[DetectMitigationActionsTaskSummary]:
        """Every task started between ``start_time`` and ``end_time``, as full summaries.

        Pages (of ``page_size``, 1-250) are fetched as the iterator is consumed.
        """
        request = ListDetectMitigationActionsTasksRequest(
            start_time=start_time, end_time=end_time, max_results=page_size
        )
        return self._paginate(
            LIST_TASKS,
            request.model_dump(exclude_none=True),
            "tasks",
            DetectMitigationActionsTaskSummary,
        )

    def _paginate(
        self,
        operation: str,
        params: dict[str, Any],
        member: str,
        model: type[M],
        deadline: float | None = None,
    ) -> Iterator[M]:
        """Items of every page, fetching the next page only when the caller reaches it."""
        page = params
        sent_at: float | None = None
        while True:
            if sent_at is not None and (pause := sent_at + _PAGE_INTERVAL - self._clock()) > 0:
                self._sleep(pause)
            sent_at = self._clock()
            response = self._call(operation, page, deadline=deadline)
            yield from _parse_page(model, _items(response, member, operation), operation)
            token = response.get("nextToken")
            if not token:
                return
            page = {**params, "nextToken": token}

    def _executions(
        self, task_id: str, deadline: float | None = None
    ) -> list[DetectMitigationActionExecution]:
        params = {"taskId": task_id, "maxResults": _LARGEST_PAGE}
        return list(
            self._paginate(
                LIST_EXECUTIONS,
                params,
                "actionsExecutions",
                DetectMitigationActionExecution,
                deadline,
            )
        )

    def _failed_executions(
        self, task_id: str, deadline: float
    ) -> tuple[DetectMitigationActionExecution, ...] | None:
        failed = DetectMitigationActionExecutionStatus.FAILED
        try:
            executions = self._executions(task_id, deadline)
        except DetectMitigationError as error:
            logger.warning("could not list the failed executions of %s: %s", task_id, error)
            return None
        return tuple(execution for execution in executions if execution.status == failed)

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
        (carrying ``.summary``; a ``TaskFailedError`` also carries ``.failed_executions``, which
        thing was not mitigated and why) unless ``raise_on_failure`` is false, in which case the
        summary is returned. Past the deadline, ``WaitTimeoutError`` is raised, at the latest one
        second after it.
        """
        deadline = self._clock() + positive_seconds("timeout", timeout)
        final: DetectMitigationActionsTaskSummary | None = None
        for summary in self.iter_task_updates(task_id, timeout=timeout, wait_policy=wait_policy):
            if on_update is not None:
                on_update(summary)
            final = summary
        assert final is not None  # the iterator yields at least the summary that ended it
        if raise_on_failure and final.task_status == DetectMitigationActionsTaskStatus.FAILED:
            failed = self._failed_executions(task_id, deadline)
            things = ", ".join(sorted({e.thing_name or "?" for e in failed or ()}))
            raise TaskFailedError(
                f"task {task_id} FAILED" + (f"; not mitigated: {things}" if things else ""),
                summary=final,
                failed_executions=failed,
            )
        if raise_on_failure and final.task_status == DetectMitigationActionsTaskStatus.CANCELED:
            raise TaskCanceledError(f"task {task_id} was CANCELED", summary=final)
        return final

    def mitigate_violations(
        self,
        violation_ids: Iterable[str],
        *,
        actions: list[str] | tuple[str, ...],
        task_id_prefix: str,
        max_concurrent_tasks: int = 5,
        timeout: float = 600.0,
        wait_policy: WaitPolicy | None = None,
    ) -> MitigationResult:
        """Mitigate many violations in as few tasks as possible, and report every execution.

        The ids are de-duplicated and split into tasks of at most 25 ids; each task id is
        ``{task_id_prefix}-`` followed by a digest of its ids and actions, so running this again
        with the same arguments adopts the tasks it started before and starts none. At most
        ``max_concurrent_tasks`` of its tasks are in progress at once (AWS allows 5 per account
        by default); when other callers hold the account's slots, it waits for one with jittered
        backoff. All tasks are waited for under one deadline, ``timeout`` seconds from now;
        past it, ``MitigationTimeoutError`` carries what was done so far. Every request is
        validated before the first is sent.
        """
        if not (isinstance(max_concurrent_tasks, int) and max_concurrent_tasks >= 1):
            raise ValueError(f"max_concurrent_tasks must be at least 1, got {max_concurrent_tasks}")
        plan = plan_tasks(violation_ids, actions, task_id_prefix)
        run = IncidentRun(
            start=self._start_or_adopt,
            describe=lambda task, deadline: self._describe(task, deadline=deadline),
            executions=self._executions,
            max_concurrent=max_concurrent_tasks,
            policy=wait_policy or WaitPolicy(),
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
        )
        return run.run(plan, positive_seconds("timeout", timeout))


def _parse(model: type[M], value: Any, operation: str) -> M:
    """``model`` from a member of an answer, or UnexpectedResponseError naming the operation."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise UnexpectedResponseError(
            f"cannot read the answer: {error}", operation_name=operation
        ) from error


_page_adapters: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _parse_page(model: type[M], items: list[Any], operation: str) -> Iterator[M]:
    """Every item of a page as ``model``, as ``_parse`` gives them one by one.

    The page is validated in one pydantic call: one call per item cost a page of 250 executions
    a third more. If an item cannot be read, the page is read again item by item, so the items
    before it are yielded and then its error is raised, as they always were.
    """
    adapter = _page_adapters.get(model)
    if adapter is None:
        from pydantic import TypeAdapter  # here, not at import: a cold start lists no page

        page_type: Any = list[model]  # type: ignore[valid-type]  # a model class, known at run time
        adapter = _page_adapters[model] = TypeAdapter(page_type)
    try:
        parsed: list[M] = adapter.validate_python(items)
    except ValidationError:
        for item in items:
            yield _parse(model, item, operation)
        return
    yield from parsed


def _items(response: dict[str, Any], member: str, operation: str) -> list[Any]:
    items = response.get(member) or []
    if not isinstance(items, list):
        raise UnexpectedResponseError(
            f"cannot read the answer: {member} is not a list", operation_name=operation
        )
    return items


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
            response = self._sender.send(START, self.params, self.tally)
        except TaskAlreadyExistsError as error:
            # botocore re-sending inside this attempt means an earlier request may have acted.
            if not (self.may_have_acted or self.tally.last > 1):
                raise
            self.conflict = error
            return None
        except DetectMitigationError as error:
            self.may_have_acted |= self.tally.last > 1 or may_have_acted(error)
            raise
        return str(response.get("taskId") or self.request.task_id)
