"""The one retry layer: tenacity, driven by ``RetryPolicy`` and the errors' ``retryable`` flag.

Clients the library builds have botocore's own retries switched off, because botocore's standard
mode retries LimitExceededException (a quota, for IoT) and multiplies with any layer on top.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ._errors import DetectMitigationError, LimitExceededError

if TYPE_CHECKING:
    from tenacity import RetryCallState, Retrying

__all__ = ["RetryPolicy"]

logger = logging.getLogger("iot_detect_mitigation")

T = TypeVar("T")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def positive_seconds(name: str, value: float) -> float:
    """``value`` as seconds, or ValueError: NaN, infinities, zero and negatives make no timeout."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number of seconds greater than 0, got {value}")
    return float(value)


def capped_growth(first: float, factor: float, step: int, cap: float) -> float:
    """``min(cap, first * factor ** step)``, finite for any step (a plain power overflows)."""
    if factor <= 1.0 or first >= cap:
        return min(cap, first)
    if step >= math.log(cap / first, factor):
        return cap
    return min(cap, first * factor**step)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently retryable errors are retried.

    Retried: ``ThrottlingError``, ``InternalFailureError``, ``ServiceUnavailableError`` (HTTP
    500, 502, 503 and 504, with or without an AWS error code) and ``TransportError``; never
    ``LimitExceededError``. The delay before retry *n* (1-based) is full-jitter exponential
    backoff, as in the AWS SDKs' standard mode:

    ```text
    delay(n) = uniform(0, min(max_delay, base_delay * 2 ** (n - 1)))
    ```

    A call stops after ``max_attempts`` attempts, or before a sleep that would take it past
    ``max_total_delay`` seconds, counted both as time slept and as time since its first attempt.
    Within a wait, no retry sleeps past the wait's deadline or starts after it.
    """

    max_attempts: int = 5
    """HTTP attempts per call, the first one included (1-20)."""
    base_delay: float = 0.5
    """Upper bound of the first retry's delay, in seconds."""
    max_delay: float = 20.0
    """Cap on any single delay, in seconds."""
    max_total_delay: float = 60.0
    """No retry starts a sleep that would end later than this after the first attempt."""

    def __post_init__(self) -> None:
        require(1 <= self.max_attempts <= 20, "RetryPolicy.max_attempts must be from 1 to 20")
        require(
            math.isfinite(self.base_delay) and self.base_delay > 0,
            "RetryPolicy.base_delay must be a finite number greater than 0",
        )
        require(
            math.isfinite(self.max_delay) and self.max_delay >= self.base_delay,
            "RetryPolicy.max_delay must be finite and not less than base_delay",
        )
        require(
            math.isfinite(self.max_total_delay) and self.max_total_delay > 0,
            "RetryPolicy.max_total_delay must be a finite number greater than 0",
        )

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to sleep before retry number ``retry_number`` (1 for the first retry)."""
        return rng.uniform(0, capped_growth(self.base_delay, 2.0, retry_number - 1, self.max_delay))


def capacity_backoff(wait_number: int, rng: random.Random) -> float:
    """Seconds before trying again for a free task slot: 1 s doubling to 30 s, times U(0.5, 1).

    Waiters keep at least half the delay, so that many of them do not spend the 10 starts per
    second an account allows on asking again at once.
    """
    return capped_growth(1.0, 2.0, wait_number - 1, 30.0) * rng.uniform(0.5, 1.0)


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, DetectMitigationError) and error.retryable


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    operation = getattr(error, "operation_name", None)
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.warning(
        "retrying %s after %s (attempt %d failed, next in %.2fs)",
        operation,
        type(error).__name__,
        state.attempt_number,
        delay,
    )


class Retrier:
    """Runs one logical call under a policy. One instance is shared by a client's threads."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._tenacity: Retrying | None = None

    def _should_stop(self, state: RetryCallState) -> bool:
        upcoming = state.upcoming_sleep or 0.0
        return (
            state.attempt_number >= self.policy.max_attempts
            # Slept time counts whatever clock runs (tests fake sleep); elapsed time counts
            # the attempts' own duration too.
            or state.idle_for + upcoming > self.policy.max_total_delay
            or (state.seconds_since_start or 0.0) + upcoming > self.policy.max_total_delay
        )

    def _retrying(self) -> Retrying:
        # Imported on the first retry, not at import time: most calls never need it.
        from tenacity import Retrying, retry_if_exception

        if self._tenacity is None:
            # tenacity keeps per-call state in thread-local storage, so one Retrying serves
            # all threads; two threads building it at once build equal objects.
            self._tenacity = Retrying(
                stop=self._should_stop,
                wait=lambda state: self.policy.backoff(state.attempt_number, self._rng),
                retry=retry_if_exception(_is_retryable),
                sleep=self._sleep,
                before_sleep=_log_retry,
                reraise=True,
            )
        return self._tenacity

    def retry_after(
        self,
        failure: DetectMitigationError,
        attempt: Callable[[int], T],
        *,
        deadline: float | None = None,
    ) -> T:
        """Attempt 1 failed with ``failure``: call ``attempt(n)`` for n = 2, 3, ... as allowed.

        Callers make the first attempt themselves, so that a call that succeeds at once (most
        of them) costs no more than the boto3 call. Tenacity starts here, replaying ``failure``
        as its own first attempt. With a ``deadline`` (on the client's clock), no retry sleeps
        past it.
        """
        if not failure.retryable or self.policy.max_attempts == 1:
            raise failure
        first_failure: DetectMitigationError | None = failure
        attempts = 1

        def numbered() -> T:
            nonlocal attempts, first_failure
            if first_failure is not None:
                failed, first_failure = first_failure, None
                raise failed
            attempts += 1
            return attempt(attempts)

        retrying = self._retrying()
        if deadline is not None:

            def stop(state: RetryCallState) -> bool:
                upcoming = state.upcoming_sleep or 0.0
                return self._should_stop(state) or self._clock() + upcoming >= deadline

            retrying = retrying.copy(stop=stop)
        return retrying(numbered)

    def until_capacity(self, attempt: Callable[[], T], deadline: float) -> T:
        """Repeat ``attempt`` while the concurrent-task quota refuses it, until ``deadline``.

        The last try comes at the deadline at the latest; after it, ``LimitExceededError`` is
        raised as without waiting.
        """
        from tenacity import Retrying, retry_if_exception_type

        def wait(state: RetryCallState) -> float:
            remaining = max(0.0, deadline - self._clock())
            return min(capacity_backoff(state.attempt_number, self._rng), remaining)

        retrying = Retrying(
            stop=lambda _: self._clock() >= deadline,
            wait=wait,
            retry=retry_if_exception_type(LimitExceededError),
            sleep=self._sleep,
            before_sleep=_log_capacity,
            reraise=True,
        )
        return retrying(attempt)


def _log_capacity(state: RetryCallState) -> None:
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.info("no free task slot (LimitExceededException); trying again in %.1fs", delay)
