"""Decisions of exactly-once start, apart from I/O: may a failed request have acted, and is a
described task the one a request asked for."""

from __future__ import annotations

from datetime import timedelta

from ._errors import DetectMitigationError, LimitExceededError, ThrottlingError, TransportError
from ._models import DetectMitigationActionsTaskSummary, StartDetectMitigationActionsTaskRequest

# AWS returns timestamps with millisecond precision, and botocore (>= 1.40.46) sends them so.
_TIMESTAMP_TOLERANCE = timedelta(milliseconds=1)


def may_have_acted(error: DetectMitigationError) -> bool:
    """Whether a failed start may have started the task: a throttled or refused request, or one
    that never left, did nothing."""
    if isinstance(error, TransportError):
        return error.sent
    return not isinstance(error, ThrottlingError | LimitExceededError)


def matches(
    summary: DetectMitigationActionsTaskSummary, request: StartDetectMitigationActionsTaskRequest
) -> bool:
    """Whether a described task is exactly the one ``request`` asks for.

    AWS does not echo the token, so target, actions, window and both flags must all agree. An
    omitted flag means false, and an omitted window matches only a task without one.
    """
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
    wanted, got = request.violation_event_occurrence_range, summary.violation_event_occurrence_range
    if (wanted is None) != (got is None):
        return False
    if (
        wanted is not None
        and got is not None
        and (
            got.start_time is None
            or got.end_time is None
            or abs(wanted.start_time - got.start_time) > _TIMESTAMP_TOLERANCE
            or abs(wanted.end_time - got.end_time) > _TIMESTAMP_TOLERANCE
        )
    ):
        return False
    return bool(request.include_only_active_violations) == bool(
        summary.only_active_violations_included
    ) and bool(request.include_suppressed_alerts) == bool(summary.suppressed_alerts_included)
