"""Immutable records of the emulator's state; tests read them, the state replaces them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

TaskStatus = Literal["IN_PROGRESS", "SUCCESSFUL", "FAILED", "CANCELED"]
ExecutionStatus = Literal["IN_PROGRESS", "SUCCESSFUL", "FAILED", "SKIPPED"]


@dataclass(frozen=True)
class Violation:
    """A seeded ML Detect violation: moto has no detection engine, so tests supply these."""

    violation_id: str
    thing_name: str
    security_profile_name: str
    behavior_name: str
    at: datetime
    active: bool = True
    suppressed: bool = False


@dataclass(frozen=True)
class MitigationAction:
    """A mitigation action as created; tasks keep this snapshot even if it is later deleted."""

    name: str
    id: str
    arn: str
    role_arn: str
    action_type: str
    action_params: Mapping[str, Any]
    created: datetime


@dataclass(frozen=True)
class TaskTarget:
    """What a task acts on; filters combine, any of them may be absent."""

    violation_ids: tuple[str, ...] | None = None
    security_profile_name: str | None = None
    behavior_name: str | None = None


@dataclass(frozen=True)
class Execution:
    """One mitigation action applied to one violation."""

    task_id: str
    violation_id: str
    action_name: str
    thing_name: str
    start: datetime
    status: ExecutionStatus = "IN_PROGRESS"
    end: datetime | None = None
    error_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class TaskStatistics:
    """Counts of finished executions, as DescribeDetectMitigationActionsTask reports them."""

    actions_executed: int = 0
    actions_skipped: int = 0
    actions_failed: int = 0


@dataclass(frozen=True)
class Task:
    """A detect mitigation actions task; `describes` counts describe calls on it."""

    task_id: str
    status: TaskStatus
    start: datetime
    target: TaskTarget
    actions: tuple[MitigationAction, ...]
    client_request_token: str
    only_active_violations: bool
    suppressed_alerts_included: bool
    range_start: datetime | None = None
    range_end: datetime | None = None
    end: datetime | None = None
    statistics: TaskStatistics = TaskStatistics()
    describes: int = 0
