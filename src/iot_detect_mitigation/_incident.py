"""Many violations, one call: plan the fewest tasks, run them within a concurrency cap and one
deadline, and gather every execution.

AWS allows 5 detect mitigation tasks in progress per account by default, and 25 violation ids per
task. An alarm storm handled one task per alarm therefore leaves most devices unmitigated; one
call that batches the ids and queues its tasks does not. The planning is pure; the run takes its
I/O as functions, so the client wires in its own retrying, deadline-bound calls.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ._errors import DetectMitigationError, LimitExceededError, MitigationTimeoutError
from ._models import (
    DetectMitigationActionExecution,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    MitigationResult,
    StartDetectMitigationActionsTaskRequest,
)
from ._waiting import WaitPolicy

logger = logging.getLogger("iot_detect_mitigation")

MAX_IDS_PER_TASK = 25
"""The service model's limit on ``target.violationIds``."""
_DIGEST_LENGTH = 20
MAX_PREFIX_LENGTH = 128 - 1 - _DIGEST_LENGTH
"""A task id is ``{prefix}-{20 hex digits}`` and at most 128 characters."""
_PREFIX = re.compile(rf"[a-zA-Z0-9_-]{{1,{MAX_PREFIX_LENGTH}}}")


def plan_tasks(
    violation_ids: Iterable[str], actions: Sequence[str], task_id_prefix: str
) -> list[StartDetectMitigationActionsTaskRequest]:
    """The fewest start requests for these ids, each with a task id derived from its content.

    Ids are de-duplicated and sorted, so the same ids and actions always give the same tasks:
    a second run finds them and adopts them. Every request is validated here, before any call.
    """
    if isinstance(violation_ids, str):
        raise ValueError("violation_ids must be a list of violation ids, not one string")
    if isinstance(actions, str):
        raise ValueError("actions must be a list of action names, not one string")
    if not isinstance(task_id_prefix, str) or not _PREFIX.fullmatch(task_id_prefix):
        raise ValueError(
            f"task_id_prefix must be 1-{MAX_PREFIX_LENGTH} characters of [a-zA-Z0-9_-], "
            f"got {task_id_prefix!r}"
        )
    unique = sorted(set(violation_ids))
    token = uuid.uuid4().hex  # one run: its starts share a token prefix, never a token
    requests = []
    for first in range(0, len(unique), MAX_IDS_PER_TASK):
        chunk = unique[first : first + MAX_IDS_PER_TASK]
        content = "\n".join([*sorted(actions), "", *chunk]).encode()
        digest = hashlib.sha256(content).hexdigest()[:_DIGEST_LENGTH]
        requests.append(
            StartDetectMitigationActionsTaskRequest(
                task_id=f"{task_id_prefix}-{digest}",
                target=DetectMitigationActionsTaskTarget(violation_ids=chunk),
                actions=list(actions),
                client_request_token=f"{token}-{first // MAX_IDS_PER_TASK}",
            )
        )
    return requests


Start = Callable[
    [StartDetectMitigationActionsTaskRequest], DetectMitigationActionsTaskSummary | None
]
"""Start a task; None when this call started it, the summary when it adopted an earlier one."""
Describe = Callable[[str, float], DetectMitigationActionsTaskSummary]
ListExecutions = Callable[[str, float], list[DetectMitigationActionExecution]]


@dataclass
class IncidentRun:
    """Runs planned tasks, at most ``max_concurrent`` at once, until all end or the deadline."""

    start: Start
    describe: Describe
    executions: ListExecutions
    max_concurrent: int
    policy: WaitPolicy
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    rng: random.Random
    _last: dict[str, DetectMitigationActionsTaskSummary] = field(default_factory=dict)
    _executions: dict[str, list[DetectMitigationActionExecution]] = field(default_factory=dict)

    def run(
        self, plan: list[StartDetectMitigationActionsTaskRequest], timeout: float
    ) -> MitigationResult:
        started_at = self.clock()
        deadline = started_at + timeout
        pending = deque(plan)
        running: list[str] = []
        self._fill(pending, running, deadline)
        rounds = 0
        while pending or running:
            remaining = deadline - self.clock()
            if remaining <= 0:
                elapsed = self.clock() - started_at
                raise MitigationTimeoutError(
                    f"{len(running)} tasks still running and {len(pending)} not started "
                    f"after {elapsed:.1f}s",
                    result=self._result(plan, pending),
                    elapsed=elapsed,
                )
            rounds += 1
            self.sleep(min(self.policy.delay(rounds, self.rng), remaining))
            for task_id in list(running):
                if self._poll(task_id, deadline):
                    running.remove(task_id)
            # No task starts after the deadline: nobody would wait for it.
            if self.clock() < deadline and self._fill(pending, running, deadline):
                rounds = 0  # a new task: notice its end soon, as a single wait would
        return self._result(plan, pending)

    def _fill(
        self,
        pending: deque[StartDetectMitigationActionsTaskRequest],
        running: list[str],
        deadline: float,
    ) -> bool:
        """Start queued tasks while this run has free slots and the account has capacity;
        whether any started."""
        started = False
        while pending and len(running) < self.max_concurrent:
            request = pending[0]
            try:
                adopted = self.start(request)
            except DetectMitigationError as error:
                if not (error.retryable or isinstance(error, LimitExceededError)):
                    raise
                # Other callers hold the account's slots, or a fault outlasted the retries: try
                # again after the next round. A start that did act is found and adopted then.
                logger.info(
                    "task %s not started yet (%s); %d queued",
                    request.task_id,
                    type(error).__name__,
                    len(pending),
                )
                break
            pending.popleft()
            # Until it is described, a task is known by its id alone: it is never lost track of.
            self._last[request.task_id] = adopted or DetectMitigationActionsTaskSummary(
                task_id=request.task_id
            )
            if adopted is not None and adopted.is_terminal and self._ended(adopted, deadline):
                continue
            running.append(request.task_id)
            started = True
        return started

    def _poll(self, task_id: str, deadline: float) -> bool:
        """Describe one task; whether it has ended."""
        try:
            summary = self.describe(task_id, deadline)
        except DetectMitigationError as error:
            if not error.retryable:
                raise
            logger.warning("polling %s: %s; will poll again", task_id, type(error).__name__)
            return False
        self._last[task_id] = summary
        return summary.is_terminal and self._ended(summary, deadline)

    def _ended(self, summary: DetectMitigationActionsTaskSummary, deadline: float) -> bool:
        """Gather an ended task's executions; False when that failed for now, so the task stays
        in the run and is polled, and listed, again."""
        task_id = summary.task_id or ""
        try:
            self._executions[task_id] = self.executions(task_id, deadline)
        except DetectMitigationError as error:
            if not error.retryable:
                raise
            logger.warning("listing the executions of %s: %s; will try again", task_id, error)
            return False
        return True

    def _result(
        self,
        plan: list[StartDetectMitigationActionsTaskRequest],
        pending: deque[StartDetectMitigationActionsTaskRequest],
    ) -> MitigationResult:
        order = [request.task_id for request in plan]
        return MitigationResult(
            tasks=[self._last[task] for task in order if task in self._last],
            executions=[e for task in order for e in self._executions.get(task, [])],
            pending_violation_ids=[
                violation for request in pending for violation in request.target.violation_ids or []
            ],
        )
