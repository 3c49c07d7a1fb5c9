"""Test controls: task duration, execution failures, injected faults and the request-rate limit."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._errors import DetectMitigationError, error_class
from ._model import check_operation
from ._records import Execution, Task

ExecutionPredicate = Callable[[Execution], bool]
"""Decides whether an execution fails; it sees the execution as it is about to run."""


@dataclass(frozen=True)
class TaskDuration:
    """How long a task stays IN_PROGRESS: a number of describe calls, or seconds of the clock.

    The default finishes a task on its 2nd DescribeDetectMitigationActionsTask, running about half
    the executions on the 1st, so a client polling it sees IN_PROGRESS, growing statistics, then
    the end. Zero describes finishes a task as it starts.
    """

    describes: int = 2
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.describes < 0 or (self.seconds is not None and self.seconds < 0):
            raise ValueError("a task duration cannot be negative")

    def progress(self, task: Task, now: datetime, total: int) -> tuple[int, bool]:
        """How many of `total` executions have run by now, and whether the task is over."""
        if self.seconds is not None:
            elapsed = (now - task.start).total_seconds()
            if elapsed >= self.seconds:
                return total, True
            return math.floor(total * max(elapsed, 0.0) / self.seconds), False
        if task.describes >= self.describes:
            return total, True
        return total * task.describes // self.describes, False


def task_duration(describes: int | None = None, seconds: float | None = None) -> TaskDuration:
    """The duration set_task_duration sets: exactly one of the two, neither negative."""
    if (describes is None) == (seconds is None):
        raise ValueError("pass exactly one of describes= or seconds=")
    return TaskDuration(seconds=seconds) if describes is None else TaskDuration(describes)


def check_quota(quota: int) -> int:
    if quota < 0:
        raise ValueError("the quota cannot be negative")
    return quota


def check_rate_limit(limit: int | None) -> int | None:
    if limit is not None and limit < 1:
        raise ValueError(
            "the rate limit must be at least 1 request per second (None or null: no limit)"
        )
    return limit


def check_count(count: int) -> int:
    if count < 0:
        raise ValueError("count cannot be negative")
    return count


def check_error_code(error_code: str) -> str:
    """An error code the IoT model defines, so a fault gets the model's HTTP status."""
    error_class(error_code)
    return error_code


@dataclass(frozen=True)
class FailureRule:
    """Executions matching every given criterion fail with `error_code` and `message`."""

    thing_names: frozenset[str] | None
    action_names: frozenset[str] | None
    predicate: ExecutionPredicate | None
    error_code: str
    message: str

    def matches(self, execution: Execution) -> bool:
        if self.thing_names is not None and execution.thing_name not in self.thing_names:
            return False
        if self.action_names is not None and execution.action_name not in self.action_names:
            return False
        return self.predicate is None or self.predicate(execution)


def failure_rule(
    thing_names: Iterable[str] | None,
    action_names: Iterable[str] | None,
    predicate: ExecutionPredicate | None,
    error_code: str,
    message: str,
) -> FailureRule:
    return FailureRule(
        frozenset(thing_names) if thing_names is not None else None,
        frozenset(action_names) if action_names is not None else None,
        predicate,
        error_code,
        message,
    )


class FaultQueue:
    """Errors queued per operation; each call of the operation consumes one."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[DetectMitigationError]] = {}

    def add(self, operation: str, error_code: str, count: int, message: str | None) -> None:
        check_operation(operation)
        check_count(count)
        cls = error_class(error_code)
        text = message or f"Injected {error_code} for {operation}"
        self._queued.setdefault(operation, deque()).extend(cls(text) for _ in range(count))

    def take(self, operation: str) -> DetectMitigationError | None:
        queued = self._queued.get(operation)
        return queued.popleft() if queued else None

    def clear(self) -> None:
        self._queued.clear()


class RateLimiter:
    """A sliding one-second window per operation; throttled requests do not use up the window."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self._accepted: dict[str, deque[datetime]] = {}

    def set_limit(self, limit: int | None) -> None:
        self.limit = check_rate_limit(limit)
        self._accepted.clear()

    def admit(self, operation: str, now: datetime) -> bool:
        if self.limit is None:
            return True
        window = self._accepted.setdefault(operation, deque())
        while window and now - window[0] >= timedelta(seconds=1):
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        return True
