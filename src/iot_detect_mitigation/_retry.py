"""The one retry layer: tenacity, driven by ``RetryPolicy`` and the errors' ``retryable`` flag.

Clients the library builds have botocore's own retries switched off, because botocore's standard
mode retries LimitExceededException (a quota, for IoT) and multiplies with any layer on top.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_any, stop_base, stop_before_delay

from ._errors import DetectMitigationError

__all__ = ["RetryPolicy"]

logger = logging.getLogger("iot_detect_mitigation")

T = TypeVar("T")


class RetryPolicy(BaseModel):
    """How often and how patiently retryable errors are retried.

    Retried: ``ThrottlingError``, ``InternalFailureError`` and ``TransportError``; never
    ``LimitExceededError``. The delay before retry *n* (1-based) is full-jitter exponential
    backoff, as in the AWS SDKs' standard mode::

        delay(n) = uniform(0, min(max_delay, base_delay * 2 ** (n - 1)))

    A call stops after ``max_attempts`` attempts, or before a sleep that would take it past
    ``max_total_delay`` seconds, counted both as time slept and as time since its first attempt.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    max_attempts: int = Field(default=5, ge=1, le=20)
    """HTTP attempts per call, the first one included."""
    base_delay: float = Field(default=0.5, gt=0)
    """Upper bound of the first retry's delay, in seconds."""
    max_delay: float = Field(default=20.0, gt=0)
    """Cap on any single delay, in seconds."""
    max_total_delay: float = Field(default=60.0, gt=0)
    """No retry starts a sleep that would end later than this after the first attempt."""

    @model_validator(mode="after")
    def _ordered(self) -> RetryPolicy:
        if self.max_delay < self.base_delay:
            raise ValueError("max_delay must not be less than base_delay")
        return self

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to sleep before retry number ``retry_number`` (1 for the first retry)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (retry_number - 1)))


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


class _stop_before_sleeping_past(stop_base):
    """stop_before_delay reads the real clock; this counts the sleeps, whatever clock runs."""

    def __init__(self, budget: float) -> None:
        self.budget = budget

    def __call__(self, state: RetryCallState) -> bool:
        return state.idle_for + (state.upcoming_sleep or 0.0) > self.budget


class Retrier:
    """Runs one logical call under a policy. One instance is shared by a client's threads."""

    def __init__(
        self, policy: RetryPolicy, *, sleep: Callable[[float], None], rng: random.Random
    ) -> None:
        self.policy = policy
        # tenacity keeps per-call state in thread-local storage, so one Retrying serves all.
        self._retrying = Retrying(
            stop=stop_any(
                stop_after_attempt(policy.max_attempts),
                stop_before_delay(policy.max_total_delay),
                _stop_before_sleeping_past(policy.max_total_delay),
            ),
            wait=lambda state: policy.backoff(state.attempt_number, rng),
            retry=retry_if_exception(_is_retryable),
            sleep=sleep,
            before_sleep=_log_retry,
            reraise=True,
        )

    def call(self, attempt: Callable[[int], T]) -> T:
        """Call ``attempt(n)`` for n = 1, 2, ... until it returns or may not be retried."""
        # Most calls succeed at once: try the first attempt directly and enter tenacity only
        # after a retryable failure, where it replays that failure as its own first attempt.
        try:
            return attempt(1)
        except DetectMitigationError as error:
            if not error.retryable or self.policy.max_attempts == 1:
                raise
            first_failure: DetectMitigationError | None = error
        attempts = 1

        def numbered() -> T:
            nonlocal attempts, first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            attempts += 1
            return attempt(attempts)

        try:
            return self._retrying(numbered)
        except DetectMitigationError as error:
            error.attempts = attempts
            raise
