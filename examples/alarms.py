"""What both Lambda examples read: Device Defender's alarm, how it arrives, and their settings.

``lambda_handler.py`` gets each alarm from SNS; ``sqs_storm_handler.py`` gets batches of them from
an SQS queue subscribed to the same topic. Deploy this module beside either one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

# botocore's DEBUG logs print request headers, the session token included.
logging.getLogger("botocore").setLevel(logging.WARNING)

SAFETY_MARGIN_SECONDS = 10.0
"""Stop waiting this long before Lambda's own timeout, so the failure is ours and readable."""


def actions_from_environment() -> list[str]:
    """``MITIGATION_ACTIONS``: comma-separated names of the mitigation actions to apply."""
    names = os.environ.get("MITIGATION_ACTIONS", "quarantine").split(",")
    return [name.strip() for name in names if name.strip()]


class LambdaContext(Protocol):
    """The part of Lambda's context object the handlers use."""

    def get_remaining_time_in_millis(self) -> int: ...


def seconds_to_wait(context: LambdaContext) -> float:
    """What is left of this invocation, less the safety margin (at least one second)."""
    remaining = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    return max(remaining, 1.0)


class _Message(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="ignore")


class Behavior(_Message):
    name: str
    metric: str | None = None


class ViolationAlarm(_Message):
    """The Device Defender detect alarm that SNS publishes (a JSON document)."""

    violation_id: str
    violation_event_type: str
    """``in-alarm``, ``alarm-cleared`` or ``alarm-invalidated``."""
    violation_event_time: datetime
    """Sent as epoch milliseconds; pydantic reads numbers that large as milliseconds."""
    thing_name: str
    security_profile_name: str
    behavior: Behavior


class SnsNotification(BaseModel):
    """The envelope SNS wraps a message in, unless the subscription uses raw message delivery."""

    model_config = ConfigDict(extra="ignore")

    Type: Literal["Notification"]
    Message: str


def alarm_in_sqs_body(body: str) -> ViolationAlarm:
    """The alarm an SQS message carries, with raw message delivery or inside SNS's envelope.

    Raises pydantic's ``ValidationError`` for a body that is neither.
    """
    with contextlib.suppress(ValidationError):  # with raw message delivery, the body is the alarm
        body = SnsNotification.model_validate_json(body).Message
    return ViolationAlarm.model_validate_json(body)
