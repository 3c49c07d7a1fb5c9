"""Typed errors. Every failure a caller can see derives from ``DetectMitigationError``::

    DetectMitigationError
     ├── ConfigurationError           the client cannot be built or cannot sign: fix the setup
     │    ├── NoRegionError
     │    ├── InvalidRegionError
     │    └── NoCredentialsError      none found, incomplete, or the provider failed
     ├── ServiceError                 AWS answered with an error (code, message, request id, status)
     │    ├── InvalidRequestError
     │    ├── TaskAlreadyExistsError
     │    ├── LimitExceededError      a quota (5 concurrent tasks by default); never retried
     │    ├── ResourceNotFoundError
     │    ├── AuthenticationError     AWS did not accept the credentials (unknown, expired)
     │    ├── AccessDeniedError       the credentials may not do this
     │    ├── ThrottlingError         retried
     │    ├── InternalFailureError    retried (also any HTTP 500)
     │    └── ServiceUnavailableError retried (HTTP 502, 503, 504, with or without an AWS body)
     ├── TransportError               no usable answer: connection failed, closed or timed out;
     │                                retried
     ├── UnexpectedResponseError      AWS answered with something this version cannot read
     └── WaitError                    a task did not end well while we waited for it
          ├── TaskFailedError         with the failed executions: which thing, why
          ├── TaskCanceledError
          └── WaitTimeoutError
               └── MitigationTimeoutError   with the partial result of mitigate_violations

Errors are mapped by AWS error code first: IoT answers throttling with HTTP 400. An answer with no
known code is mapped by its HTTP status, because a proxy or load balancer answers 502, 503 or 504
with an HTML or empty body. Messages carry what AWS said and where; they never carry request
headers or credentials. Every error survives ``pickle`` with its type, message and attributes, so
it can cross a process pool; ``__cause__`` stays behind, as for any pickled exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from botocore import exceptions as boto

if TYPE_CHECKING:
    from ._models import (
        DetectMitigationActionExecution,
        DetectMitigationActionsTaskSummary,
        MitigationResult,
    )


def _rebuild(cls: type[DetectMitigationError], state: dict[str, Any]) -> DetectMitigationError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class DetectMitigationError(Exception):
    """Base of every error this library raises."""

    retryable: ClassVar[bool] = False
    """Whether the retry policy may try the call again."""

    def __init__(self, message: str, *, operation_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation_name = operation_name
        self.attempts = 1
        """HTTP requests the call sent, retries, botocore's own re-sends and checks included."""

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException pickles only ``args``, which cannot replay keyword-only arguments.
        return _rebuild, (type(self), dict(self.__dict__))

    def _details(self) -> list[str]:
        return [f"operation {self.operation_name}"] if self.operation_name else []

    def __str__(self) -> str:
        text = self.message
        details = ", ".join(self._details())
        if details:
            text = f"{text} ({details})"
        if self.attempts > 1:
            text = f"{text}; gave up after {self.attempts} attempts"
        return text


class ConfigurationError(DetectMitigationError):
    """The client cannot be built or cannot sign requests: region, credentials or profile.

    Nothing was sent. The botocore error is the ``__cause__``.
    """


class NoRegionError(ConfigurationError):
    """No region was given and none is configured (``AWS_DEFAULT_REGION``, the profile)."""


class InvalidRegionError(ConfigurationError):
    """The region name is not a valid region name."""


class NoCredentialsError(ConfigurationError):
    """No usable credentials: none found, only part of them, or their provider failed."""


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

    def _details(self) -> list[str]:
        return [
            *super()._details(),
            *([f"HTTP {self.status_code}"] if self.status_code is not None else []),
            *([f"request id {self.request_id}"] if self.request_id else []),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {super().__str__()}"

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


class AuthenticationError(ServiceError):
    """AWS did not accept the credentials: unknown, expired, or a bad signature."""


class AccessDeniedError(ServiceError):
    """The credentials are valid but may not call this operation on this resource."""


class ThrottlingError(ServiceError):
    """The 10-requests-per-second limit of the operation was exceeded."""

    retryable = True


class InternalFailureError(ServiceError):
    """AWS failed internally (HTTP 500); the request may or may not have taken effect."""

    retryable = True


class ServiceUnavailableError(ServiceError):
    """HTTP 502, 503 or 504, from AWS or a proxy in between; the request may have taken effect."""

    retryable = True


class TransportError(DetectMitigationError):
    """No usable answer arrived: the connection failed, was closed or timed out.

    ``sent`` tells whether the request may have reached AWS. The botocore error is the
    ``__cause__``, except when the wait's deadline cut the call short.
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
    """The task ended FAILED. ``failed_executions`` says which things were not mitigated, and why.

    They are listed (every page) when the wait sees the task fail; ``None`` if that listing
    failed too, which is logged as a warning.
    """

    def __init__(
        self,
        message: str,
        *,
        summary: DetectMitigationActionsTaskSummary | None,
        failed_executions: tuple[DetectMitigationActionExecution, ...] | None = None,
    ) -> None:
        super().__init__(message, summary=summary)
        self.failed_executions = failed_executions
        """The task's FAILED executions: thing, action, error code and message of each."""


class TaskCanceledError(WaitError):
    """The task ended CANCELED."""


class WaitTimeoutError(WaitError):
    """The task had not ended when the deadline passed.

    When the last poll failed, that failure is the ``__cause__`` and the message names it.
    """

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


class MitigationTimeoutError(WaitTimeoutError):
    """``mitigate_violations`` had not finished when its deadline passed.

    ``result`` holds what was done so far: the tasks that ended, the last state of the others, and
    the violation ids whose task could not start. Running it again adopts the tasks it started.
    """

    def __init__(self, message: str, *, result: MitigationResult, elapsed: float) -> None:
        super().__init__(message, summary=None, elapsed=elapsed)
        self.result = result


SERVICE_ERRORS: dict[str, type[ServiceError]] = {
    "InvalidRequestException": InvalidRequestError,
    "TaskAlreadyExistsException": TaskAlreadyExistsError,
    "LimitExceededException": LimitExceededError,
    "ResourceNotFoundException": ResourceNotFoundError,
    "ThrottlingException": ThrottlingError,
    "InternalFailureException": InternalFailureError,
    "ServiceUnavailableException": ServiceUnavailableError,
    # Authentication and authorization answers AWS's front end gives for any service.
    **dict.fromkeys(
        (
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "MissingAuthenticationToken",
            "MissingAuthenticationTokenException",
            "RequestExpired",
        ),
        AuthenticationError,
    ),
    **dict.fromkeys(
        ("AccessDeniedException", "AccessDenied", "UnauthorizedException", "NotAuthorized"),
        AccessDeniedError,
    ),
}

# The statuses the AWS SDKs' standard retry mode treats as transient, whatever the body.
TRANSIENT_STATUSES: dict[int, type[ServiceError]] = {
    500: InternalFailureError,
    502: ServiceUnavailableError,
    503: ServiceUnavailableError,
    504: ServiceUnavailableError,
}

CONFIGURATION_ERRORS: tuple[tuple[type[Exception], type[ConfigurationError]], ...] = (
    (boto.NoRegionError, NoRegionError),
    (boto.InvalidRegionError, InvalidRegionError),
    (boto.UnknownRegionError, InvalidRegionError),
    (boto.NoCredentialsError, NoCredentialsError),
    (boto.PartialCredentialsError, NoCredentialsError),
    (boto.CredentialRetrievalError, NoCredentialsError),
    (boto.TokenRetrievalError, NoCredentialsError),
    (boto.NoAuthTokenError, NoCredentialsError),
    (boto.SSOError, NoCredentialsError),
    (boto.ProfileNotFound, ConfigurationError),
    (boto.ConfigParseError, ConfigurationError),
    (boto.InvalidConfigError, ConfigurationError),
)


_LONGEST_MESSAGE = 500


def _service_error(error: boto.ClientError, operation_name: str) -> ServiceError:
    details = error.response.get("Error", {})
    metadata = error.response.get("ResponseMetadata", {})
    code = str(details.get("Code") or "Unknown")
    status = metadata.get("HTTPStatusCode")
    # One line, whatever answered: a proxy's error page is HTML over many lines.
    message = " ".join(str(details.get("Message") or code).split())
    if len(message) > _LONGEST_MESSAGE:
        message = message[: _LONGEST_MESSAGE - 3] + "..."
    cls = SERVICE_ERRORS.get(code) or TRANSIENT_STATUSES.get(status or 0, ServiceError)
    return cls(
        message,
        code=code,
        operation_name=operation_name,
        request_id=metadata.get("RequestId"),
        status_code=status,
    )


def from_botocore(error: Exception, operation_name: str | None) -> DetectMitigationError:
    """Translate a botocore exception into ours; the caller raises it ``from`` the original."""
    if isinstance(error, boto.ClientError):
        return _service_error(error, operation_name or "")
    if isinstance(error, boto.EndpointConnectionError | boto.ConnectTimeoutError):
        # The connection was refused or never opened: the request cannot have reached AWS.
        return TransportError(str(error), operation_name=operation_name, sent=False)
    if isinstance(error, boto.ConnectionError | boto.HTTPClientError):
        return TransportError(str(error), operation_name=operation_name, sent=True)
    for botocore_class, ours in CONFIGURATION_ERRORS:
        if isinstance(error, botocore_class):
            return ours(str(error), operation_name=operation_name)
    return DetectMitigationError(str(error), operation_name=operation_name)
