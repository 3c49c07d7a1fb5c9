"""Typed errors. Every failure a caller can see derives from ``DetectMitigationError``::

    DetectMitigationError
     ├── ServiceError                 AWS answered with an error (code, message, request id, status)
     │    ├── InvalidRequestError
     │    ├── TaskAlreadyExistsError
     │    ├── LimitExceededError      a quota (5 concurrent tasks by default); never retried
     │    ├── ResourceNotFoundError
     │    ├── ThrottlingError         retried
     │    └── InternalFailureError    retried
     ├── TransportError               no usable answer: connection failed, closed or timed out;
     │                                retried
     ├── UnexpectedResponseError      AWS answered with something this version cannot read
     └── WaitError                    a task did not end well while we waited for it
          ├── TaskFailedError
          ├── TaskCanceledError
          └── WaitTimeoutError

Errors are mapped by AWS error code, never by HTTP status: IoT answers throttling with HTTP 400.
Messages carry what AWS said and where; they never carry request headers or credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
)

if TYPE_CHECKING:
    from ._models import DetectMitigationActionsTaskSummary


class DetectMitigationError(Exception):
    """Base of every error this library raises."""

    retryable: ClassVar[bool] = False
    """Whether the retry policy may try the call again."""

    def __init__(self, message: str, *, operation_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation_name = operation_name
        self.attempts = 1
        """HTTP attempts made for the call that raised this, retries included."""

    def __str__(self) -> str:
        text = self.message
        if self.operation_name:
            text = f"{text} (operation {self.operation_name})"
        if self.attempts > 1:
            text = f"{text}; gave up after {self.attempts} attempts"
        return text


class ServiceError(DetectMitigationError):
    """AWS answered with an error. The botocore ``ClientError`` is the ``__cause__``."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        operation_name: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, operation_name=operation_name)
        self.code = code
        self.request_id = request_id
        self.status_code = status_code

    def __str__(self) -> str:
        details = ", ".join(
            part
            for part in (
                f"operation {self.operation_name}" if self.operation_name else "",
                f"HTTP {self.status_code}" if self.status_code is not None else "",
                f"request id {self.request_id}" if self.request_id else "",
            )
            if part
        )
        text = f"{self.code}: {self.message}"
        if details:
            text = f"{text} ({details})"
        if self.attempts > 1:
            text = f"{text}; gave up after {self.attempts} attempts"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"operation_name={self.operation_name!r}, request_id={self.request_id!r}, "
            f"status_code={self.status_code!r})"
        )


class InvalidRequestError(ServiceError):
    """AWS rejected the request as malformed, or an action name does not exist."""


class TaskAlreadyExistsError(ServiceError):
    """The task id or client request token was used before by a different request."""


class LimitExceededError(ServiceError):
    """A quota, such as the concurrent-task limit; waiting for tasks to end frees it."""


class ResourceNotFoundError(ServiceError):
    """No task with that id (tasks are kept for 90 days)."""


class ThrottlingError(ServiceError):
    """The 10-requests-per-second limit of the operation was exceeded."""

    retryable = True


class InternalFailureError(ServiceError):
    """AWS failed internally; the request may or may not have taken effect."""

    retryable = True


class TransportError(DetectMitigationError):
    """No usable answer arrived: the connection failed, was closed or timed out.

    ``sent`` tells whether the request may have reached AWS. The botocore error is the
    ``__cause__``.
    """

    retryable = True

    def __init__(self, message: str, *, operation_name: str | None = None, sent: bool) -> None:
        super().__init__(message, operation_name=operation_name)
        self.sent = sent


class UnexpectedResponseError(DetectMitigationError):
    """AWS answered with a response this version cannot read; the parse error is the cause."""


class WaitError(DetectMitigationError):
    """A waited-for task did not end SUCCESSFUL. ``summary`` is the last state seen."""

    def __init__(self, message: str, *, summary: DetectMitigationActionsTaskSummary | None) -> None:
        super().__init__(message, operation_name=None)
        self.summary = summary


class TaskFailedError(WaitError):
    """The task ended FAILED."""


class TaskCanceledError(WaitError):
    """The task ended CANCELED."""


class WaitTimeoutError(WaitError):
    """The task had not ended when the deadline passed."""

    def __init__(
        self,
        message: str,
        *,
        summary: DetectMitigationActionsTaskSummary | None,
        elapsed: float,
    ) -> None:
        super().__init__(message, summary=summary)
        self.elapsed = elapsed
        """Seconds waited, on the monotonic clock."""


SERVICE_ERRORS: dict[str, type[ServiceError]] = {
    "InvalidRequestException": InvalidRequestError,
    "TaskAlreadyExistsException": TaskAlreadyExistsError,
    "LimitExceededException": LimitExceededError,
    "ResourceNotFoundException": ResourceNotFoundError,
    "ThrottlingException": ThrottlingError,
    "InternalFailureException": InternalFailureError,
}


def from_botocore(error: BotoCoreError | ClientError, operation_name: str) -> DetectMitigationError:
    """Translate a botocore exception into ours; the caller raises it ``from`` the original."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        metadata = error.response.get("ResponseMetadata", {})
        code = str(details.get("Code") or "Unknown")
        return SERVICE_ERRORS.get(code, ServiceError)(
            str(details.get("Message") or code),
            code=code,
            operation_name=operation_name,
            request_id=metadata.get("RequestId"),
            status_code=metadata.get("HTTPStatusCode"),
        )
    if isinstance(error, EndpointConnectionError):
        # The connection was refused or never opened: the request cannot have reached AWS.
        return TransportError(str(error), operation_name=operation_name, sent=False)
    if isinstance(error, ConnectionError | HTTPClientError):
        return TransportError(str(error), operation_name=operation_name, sent=True)
    return DetectMitigationError(str(error), operation_name=operation_name)
