"""The test-facing handle on the emulator's state for one account and region."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iot.models import iot_backends

from ._clock import Clock, as_utc, system_clock
from ._controls import ExecutionPredicate, check_quota, failure_rule, task_duration
from ._records import Execution, Task, Violation
from ._state import DEFAULT_CONCURRENT_TASK_QUOTA, DetectMitigationState, state_for

_VIOLATION_ID = re.compile(r"[a-zA-Z0-9\-]{1,128}")


def check_violation_id(violation_id: str) -> str:
    """AWS's rule for violation ids, so a seeded violation can be named in a task's target."""
    if _VIOLATION_ID.fullmatch(violation_id) is None:
        raise ValueError(f"invalid violation id {violation_id!r}: AWS allows [a-zA-Z0-9-]{{1,128}}")
    return violation_id


class DetectMitigationEmulator:
    """Seeds violations, sets controls and reads state for one account and region.

    The handle holds no state itself: it reads moto's IoT backend on every use, so it stays valid
    across moto resets and sees what boto3 clients and the server's threads did.
    """

    def __init__(
        self, region_name: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
    ) -> None:
        self.region_name = region_name
        self.account_id = account_id

    @classmethod
    def for_region(
        cls, region_name: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
    ) -> DetectMitigationEmulator:
        """The handle for a region, e.g. inside a test decorated with @mock_detect_mitigation()."""
        return cls(region_name, account_id)

    def __repr__(self) -> str:
        return f"DetectMitigationEmulator({self.region_name!r}, {self.account_id!r})"

    @property
    def _state(self) -> DetectMitigationState:
        return state_for(iot_backends[self.account_id][self.region_name])

    # Seeding

    def add_violation(
        self,
        violation_id: str,
        *,
        thing_name: str,
        security_profile_name: str,
        behavior_name: str,
        at: datetime | None = None,
        active: bool = True,
        suppressed: bool = False,
    ) -> Violation:
        """Seed (or replace) a violation; `at` defaults to the emulator clock's now."""
        check_violation_id(violation_id)
        state = self._state
        with state.lock:
            moment = as_utc(at) if at is not None else state.now()
            violation = Violation(
                violation_id,
                thing_name,
                security_profile_name,
                behavior_name,
                moment,
                active,
                suppressed,
            )
            state.violations[violation_id] = violation
            return violation

    # Controls

    def set_task_duration(
        self, *, describes: int | None = None, seconds: float | None = None
    ) -> None:
        """Make tasks started from now on last `describes` describe calls or `seconds` of the clock.

        Pass exactly one. `seconds` is measured on the clock given to set_clock (wall time unless
        set). The default is describes=2.
        """
        duration = task_duration(describes, seconds)
        with self._state.lock:
            self._state.duration = duration

    def set_clock(self, clock: Clock | None) -> None:
        """Use `clock` for task times, durations in seconds and the rate limit; None: wall time."""
        with self._state.lock:
            self._state.clock = clock if clock is not None else system_clock

    def fail_executions(
        self,
        thing_names: Iterable[str] | None = None,
        action_names: Iterable[str] | None = None,
        *,
        predicate: ExecutionPredicate | None = None,
        error_code: str = "InternalFailure",
        message: str = "Injected execution failure",
    ) -> None:
        """Make executions matching all given criteria FAIL (no criteria: all of them).

        Rules add up; a task with any failed execution ends FAILED.
        """
        rule = failure_rule(thing_names, action_names, predicate, error_code, message)
        with self._state.lock:
            self._state.failure_rules.append(rule)

    def clear_execution_failures(self) -> None:
        with self._state.lock:
            self._state.failure_rules.clear()

    def inject_fault(
        self, operation: str, error_code: str, count: int = 1, message: str | None = None
    ) -> None:
        """Make the next `count` calls of `operation` fail with `error_code` (model's status)."""
        with self._state.lock:
            self._state.faults.add(operation, error_code, count, message)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    def set_rate_limit(self, requests_per_second: int | None) -> None:
        """Answer ThrottlingException beyond this many requests per operation per second.

        AWS allows 10 per second for each of these operations; None (the default) turns it off.
        """
        with self._state.lock:
            self._state.rate_limiter.set_limit(requests_per_second)

    def set_concurrent_task_quota(self, quota: int = DEFAULT_CONCURRENT_TASK_QUOTA) -> None:
        """Allow this many tasks IN_PROGRESS at once (AWS's adjustable default is 5)."""
        with self._state.lock:
            self._state.concurrent_task_quota = check_quota(quota)

    def reset(self) -> None:
        """Clear this region's violations, mitigation actions, tasks and controls.

        moto's other IoT data (things, thing groups) stays.
        """
        with self._state.lock:
            self._state.reset()

    # Reading

    @property
    def violations(self) -> Mapping[str, Violation]:
        with self._state.lock:
            return MappingProxyType(dict(self._state.violations))

    @property
    def tasks(self) -> Mapping[str, Task]:
        """A snapshot of the tasks by id, brought up to date with the clock (not a describe)."""
        state = self._state
        with state.lock:
            state.settle_all()
            return MappingProxyType(dict(state.tasks))

    def executions(self, task_id: str) -> tuple[Execution, ...]:
        """A snapshot of a task's executions; KeyError for an unknown task."""
        state = self._state
        with state.lock:
            if task_id not in state.tasks:
                raise KeyError(task_id)
            state.settle(task_id)
            return tuple(state.executions[task_id])

    @property
    def throttled_count(self) -> int:
        """Requests rejected by the rate limit or by injected faults."""
        with self._state.lock:
            return self._state.throttled_count

    @property
    def call_counts(self) -> Mapping[str, int]:
        """Requests received per operation, rejected ones included."""
        with self._state.lock:
            return MappingProxyType(dict(self._state.calls))
