"""The emulator's state for one account and region, and AWS's rules for changing it.

The state hangs off moto's IoT backend, so moto's reset clears it and every way in (the handle,
boto3 in-process, the server's threads) sees one copy. One re-entrant lock guards it.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from moto.iot.models import IoTBackend
from moto.utilities.utils import get_partition

from ._actions import ACTION_TYPES, perform
from ._clock import Clock, as_utc, system_clock
from ._controls import FailureRule, FaultQueue, RateLimiter, TaskDuration
from ._errors import (
    InvalidRequestException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    TaskAlreadyExistsException,
    ThrottlingException,
)
from ._records import (
    Execution,
    MitigationAction,
    Task,
    TaskStatistics,
    TaskStatus,
    TaskTarget,
    Violation,
)

DEFAULT_CONCURRENT_TASK_QUOTA = 5
"""AWS's default for concurrent detect mitigation actions tasks (adjustable, so settable)."""

MITIGATION_ACTION_QUOTA = 100
"""AWS's quota of mitigation actions per account."""

_ATTRIBUTE = "_iot_detect_mitigation_state"
_CREATE_LOCK = threading.Lock()


def state_for(backend: IoTBackend) -> DetectMitigationState:
    """The state attached to `backend`, created on first use (moto's reset drops it)."""
    state = backend.__dict__.get(_ATTRIBUTE)
    if state is None:
        with _CREATE_LOCK:
            state = backend.__dict__.get(_ATTRIBUTE)
            if state is None:
                state = DetectMitigationState(backend)
                setattr(backend, _ATTRIBUTE, state)
    assert isinstance(state, DetectMitigationState)
    return state


class DetectMitigationState:
    """Everything the emulator knows for one account/region; lock `lock` around any use."""

    def __init__(self, backend: IoTBackend) -> None:
        self.backend = backend
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything but the backend and the lock, as if moto had just been reset."""
        self.clock: Clock = system_clock
        self.duration = TaskDuration()
        self.concurrent_task_quota = DEFAULT_CONCURRENT_TASK_QUOTA
        self.rate_limiter = RateLimiter()
        self.faults = FaultQueue()
        self.failure_rules: list[FailureRule] = []
        self.throttled_count = 0
        self.calls: Counter[str] = Counter()
        self.violations: dict[str, Violation] = {}
        self.actions: dict[str, MitigationAction] = {}
        self.tasks: dict[str, Task] = {}
        self.executions: dict[str, list[Execution]] = {}
        # Creation numbers: list operations page by them (see _paging), so they never change.
        self.action_positions: dict[str, int] = {}
        self.task_positions: dict[str, int] = {}
        self._sequence = itertools.count()
        self._durations: dict[str, TaskDuration] = {}
        self._tokens: set[str] = set()

    def now(self) -> datetime:
        return as_utc(self.clock())

    def admit(self, operation: str) -> None:
        """Apply the rate limit, then any injected fault, before the request is looked at."""
        self.calls[operation] += 1
        if not self.rate_limiter.admit(operation, self.now()):
            self.throttled_count += 1
            raise ThrottlingException("Rate exceeded")
        fault = self.faults.take(operation)
        if fault is not None:
            self.throttled_count += 1
            raise fault

    # Mitigation actions

    def create_action(
        self, name: str, role_arn: str, params: Mapping[str, Any]
    ) -> MitigationAction:
        kinds = [ACTION_TYPES[key] for key in ACTION_TYPES if params.get(key) is not None]
        if len(kinds) != 1:
            raise InvalidRequestException("actionParams must specify exactly one kind of action")
        if name in self.actions:
            raise ResourceAlreadyExistsException(f"Mitigation action {name} already exists")
        if len(self.actions) >= MITIGATION_ACTION_QUOTA:
            raise LimitExceededException("Too many mitigation actions")
        region, account = self.backend.region_name, self.backend.account_id
        partition = get_partition(region)
        action = MitigationAction(
            name=name,
            id=str(uuid.uuid4()),
            arn=f"arn:{partition}:iot:{region}:{account}:mitigationaction/{name}",
            role_arn=role_arn,
            action_type=kinds[0],
            action_params=dict(params),
            created=self.now(),
        )
        self.actions[name] = action
        self.action_positions[name] = next(self._sequence)
        return action

    def describe_action(self, name: str) -> MitigationAction:
        try:
            return self.actions[name]
        except KeyError:
            raise ResourceNotFoundException(f"Mitigation action {name} does not exist") from None

    def delete_action(self, name: str) -> None:
        """Deleting an unknown action succeeds: the model lists no ResourceNotFound for it."""
        self.actions.pop(name, None)
        self.action_positions.pop(name, None)

    # Tasks

    def start_task(
        self,
        task_id: str,
        target: TaskTarget,
        action_names: Iterable[str],
        client_request_token: str,
        occurrence_range: tuple[datetime, datetime] | None = None,
        only_active_violations: bool = False,
        include_suppressed_alerts: bool = False,
    ) -> Task:
        """Start a task after AWS's checks: input, then reuse, then the concurrency quota.

        A taskId or clientRequestToken used before gives TaskAlreadyExistsException, even when a
        retry repeats the same taskId with the same token: AWS does not publish what it returns
        then, and answering success would hide a duplicate start.
        """
        names = list(dict.fromkeys(action_names))
        actions = tuple(self._action_for_task(name) for name in names)
        if target.behavior_name is not None and target.security_profile_name is None:
            raise InvalidRequestException("behaviorName requires securityProfileName")
        if target.violation_ids is None and target.security_profile_name is None:
            raise InvalidRequestException("target must name violationIds or a securityProfileName")
        if task_id in self.tasks:
            raise TaskAlreadyExistsException(f"Task {task_id} already exists")
        if client_request_token in self._tokens:
            raise TaskAlreadyExistsException("clientRequestToken was already used for a task")
        self.settle_all()
        running = sum(1 for task in self.tasks.values() if task.status == "IN_PROGRESS")
        if running >= self.concurrent_task_quota:
            raise LimitExceededException(
                f"At most {self.concurrent_task_quota} tasks can be in progress at once"
            )
        task = Task(
            task_id=task_id,
            status="IN_PROGRESS",
            start=self.now(),
            target=target,
            actions=actions,
            client_request_token=client_request_token,
            only_active_violations=only_active_violations,
            suppressed_alerts_included=include_suppressed_alerts,
            range_start=occurrence_range[0] if occurrence_range else None,
            range_end=occurrence_range[1] if occurrence_range else None,
        )
        violations = self._select(task)
        self.tasks[task_id] = task
        self.task_positions[task_id] = next(self._sequence)
        self._tokens.add(client_request_token)
        self._durations[task_id] = self.duration
        self.executions[task_id] = [
            Execution(task_id, v.violation_id, a.name, v.thing_name, task.start)
            for v in violations
            for a in actions
        ]
        return self.settle(task_id)

    def _action_for_task(self, name: str) -> MitigationAction:
        try:
            return self.actions[name]
        except KeyError:
            raise InvalidRequestException(f"Mitigation action {name} does not exist") from None

    def _select(self, task: Task) -> list[Violation]:
        """The seeded violations a task acts on: every given filter must hold."""
        target = task.target
        chosen = []
        for violation in self.violations.values():
            if (
                target.violation_ids is not None
                and violation.violation_id not in target.violation_ids
            ):
                continue
            profile, behavior = target.security_profile_name, target.behavior_name
            if profile is not None and violation.security_profile_name != profile:
                continue
            if behavior is not None and violation.behavior_name != behavior:
                continue
            start, end = task.range_start, task.range_end
            if start is not None and end is not None and not start <= violation.at <= end:
                continue
            if task.only_active_violations and not violation.active:
                continue
            if violation.suppressed and not task.suppressed_alerts_included:
                continue
            chosen.append(violation)
        return chosen

    def task(self, task_id: str) -> Task:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise ResourceNotFoundException(f"Task {task_id} does not exist") from None

    def describe_task(self, task_id: str) -> Task:
        """Each describe moves a task on when its duration counts describes."""
        task = self.task(task_id)
        if task.status == "IN_PROGRESS":
            self.tasks[task_id] = replace(task, describes=task.describes + 1)
        return self.settle(task_id)

    def cancel_task(self, task_id: str) -> Task:
        """Cancel a running task; its executions not yet run become SKIPPED."""
        self.task(task_id)
        task = self.settle(task_id)
        if task.status != "IN_PROGRESS":
            raise InvalidRequestException(f"Task {task_id} has already finished ({task.status})")
        now = self.now()
        executions = self.executions[task_id]
        for index, execution in enumerate(executions):
            if execution.status == "IN_PROGRESS":
                executions[index] = replace(execution, status="SKIPPED", end=now)
        return self._finish(task_id, "CANCELED", now)

    def settle(self, task_id: str) -> Task:
        """Run the executions due by now under the task's duration, and end it when it is over."""
        task = self.tasks[task_id]
        if task.status != "IN_PROGRESS":
            return task
        now = self.now()
        executions = self.executions[task_id]
        due, over = self._durations[task_id].progress(task, now, len(executions))
        for index in range(due):
            if executions[index].status == "IN_PROGRESS":
                executions[index] = self._run(task, executions[index], now)
        if over:
            failed = any(execution.status == "FAILED" for execution in executions)
            return self._finish(task_id, "FAILED" if failed else "SUCCESSFUL", now)
        self.tasks[task_id] = replace(task, statistics=_statistics(executions))
        return self.tasks[task_id]

    def settle_all(self) -> None:
        for task_id in list(self.tasks):
            self.settle(task_id)

    def _finish(self, task_id: str, status: TaskStatus, now: datetime) -> Task:
        """End a task; a task with any FAILED execution ends FAILED, as the issue chose."""
        statistics = _statistics(self.executions[task_id])
        task = replace(self.tasks[task_id], status=status, end=now, statistics=statistics)
        self.tasks[task_id] = task
        return task

    def _run(self, task: Task, execution: Execution, now: datetime) -> Execution:
        for rule in self.failure_rules:
            if rule.matches(execution):
                return replace(
                    execution,
                    status="FAILED",
                    end=now,
                    error_code=rule.error_code,
                    message=rule.message,
                )
        action = next(a for a in task.actions if a.name == execution.action_name)
        outcome = perform(
            self.backend, action.action_type, action.action_params, execution.thing_name
        )
        if outcome is None:
            return replace(execution, status="SUCCESSFUL", end=now)
        return replace(
            execution, status="FAILED", end=now, error_code=outcome[0], message=outcome[1]
        )


def _statistics(executions: Iterable[Execution]) -> TaskStatistics:
    counts = Counter(execution.status for execution in executions)
    return TaskStatistics(
        actions_executed=counts["SUCCESSFUL"],
        actions_skipped=counts["SKIPPED"],
        actions_failed=counts["FAILED"],
    )
