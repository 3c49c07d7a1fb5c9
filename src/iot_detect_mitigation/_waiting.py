"""Waiting for a task to end: a polling schedule, a deadline, and progress as it happens.

No AWS SDK has a waiter for these tasks, and the describe call shares a 10 requests-per-second
account limit with every other caller, so polling backs off: it starts at one second, to notice
short tasks quickly (the one published example took about a second), and grows to a cap, so a long
task costs a few calls a minute.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._errors import DetectMitigationError, WaitTimeoutError
from ._models import DetectMitigationActionsTaskSummary
from ._retry import capped_growth, require

__all__ = ["WaitPolicy", "iter_task_updates"]

logger = logging.getLogger("iot_detect_mitigation")


@dataclass(frozen=True, kw_only=True)
class WaitPolicy:
    """The polling schedule of a waiter.

    The delay after poll *n* (1-based) grows geometrically from ``min_delay`` to ``max_delay``
    and is shortened at random by up to ``jitter`` of itself, so that waiters started together
    drift apart, but never below ``min_delay``:

    ```text
    delay(n) = max(min_delay, min(max_delay, min_delay * growth ** (n - 1)) * (1 - jitter * U))
    ```

    with U uniform in [0, 1). ``min_delay`` is at least one second: a waiter never describes more
    than once a second.
    """

    min_delay: float = 1.0
    """First delay, and the least delay between two polls, in seconds (at least 1)."""
    max_delay: float = 30.0
    """Cap on a delay, in seconds."""
    growth: float = 2.0
    """Factor by which the delay grows after each poll; 1 polls at a fixed rate."""
    jitter: float = 0.2
    """Largest fraction by which a delay is shortened at random, from 0 to 1."""

    def __post_init__(self) -> None:
        require(
            math.isfinite(self.min_delay) and self.min_delay >= 1.0,
            "WaitPolicy.min_delay must be at least 1 second",
        )
        require(
            math.isfinite(self.max_delay) and self.max_delay >= self.min_delay,
            "WaitPolicy.max_delay must be finite and not less than min_delay",
        )
        require(
            math.isfinite(self.growth) and self.growth >= 1.0,
            "WaitPolicy.growth must be a finite number of at least 1",
        )
        require(0.0 <= self.jitter <= 1.0, "WaitPolicy.jitter must be from 0 to 1")

    def delay(self, poll_number: int, rng: random.Random) -> float:
        """Seconds to sleep after poll number ``poll_number`` (1 for the first poll)."""
        ceiling = capped_growth(self.min_delay, self.growth, poll_number - 1, self.max_delay)
        return max(self.min_delay, ceiling * (1.0 - self.jitter * rng.random()))

    def delays(self, count: int, rng: random.Random | None = None) -> list[float]:
        """The first ``count`` delays of the schedule, to inspect its polling cost."""
        rng = rng or random.Random()
        return [self.delay(n, rng) for n in range(1, count + 1)]


def _progress(summary: DetectMitigationActionsTaskSummary) -> tuple[object, ...]:
    stats = summary.task_statistics
    return summary.task_status, stats.actions_executed, stats.actions_skipped, stats.actions_failed


def iter_task_updates(
    describe: Callable[[str, float], DetectMitigationActionsTaskSummary],
    task_id: str,
    *,
    timeout: float,
    policy: WaitPolicy,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    rng: random.Random,
) -> Iterator[DetectMitigationActionsTaskSummary]:
    """Yield each summary whose status or statistics changed, until the task ends.

    The deadline is ``timeout`` seconds from the first poll, on ``clock`` (monotonic), and
    ``describe(task_id, deadline)`` keeps its retries and calls within it. When the next poll
    would fall past the deadline, the sleep is cut short to end at the deadline and one final
    poll follows, unless that poll would come less than ``min_delay`` after the previous one.
    Retryable errors that outlast the retry policy (throttling, transient faults) count as a poll
    that saw nothing new; any other error ends the wait. If the last poll failed, the timeout
    error's ``__cause__`` is that failure.
    """
    started = clock()
    deadline = started + timeout
    last: DetectMitigationActionsTaskSummary | None = None
    failure: DetectMitigationError | None = None
    poll_number = 0
    while True:
        poll_number += 1
        try:
            summary = describe(task_id, deadline)
        except DetectMitigationError as error:
            if not error.retryable:
                raise
            failure = error
            logger.warning("polling %s: %s; will poll again", task_id, type(error).__name__)
        else:
            failure = None
            if last is None or _progress(summary) != _progress(last):
                yield summary
            last = summary
            if summary.is_terminal:
                return
        remaining = deadline - clock()
        delay = policy.delay(poll_number, rng)
        if delay < remaining:
            sleep(delay)
            continue
        if remaining > 0:
            sleep(remaining)
        if remaining < policy.min_delay:
            raise _timed_out(task_id, last, failure, clock() - started) from failure
        # One final poll at the deadline; the round after it ends the wait whatever it sees.


def _timed_out(
    task_id: str,
    last: DetectMitigationActionsTaskSummary | None,
    failure: DetectMitigationError | None,
    elapsed: float,
) -> WaitTimeoutError:
    status = last.task_status if last is not None else "unknown"
    message = f"task {task_id} still {status} after {elapsed:.1f}s"
    if failure is not None:
        message += f"; the last poll failed: {type(failure).__name__}: {failure}"
    return WaitTimeoutError(message, summary=last, elapsed=elapsed)
