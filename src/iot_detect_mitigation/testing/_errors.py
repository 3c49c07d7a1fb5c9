"""Errors as moto's JsonRESTError, each carrying the HTTP status the service model gives it."""

from __future__ import annotations

import functools
from typing import ClassVar

from moto.core.exceptions import JsonRESTError

from ._model import error_status


class DetectMitigationError(JsonRESTError):
    """Base of the emulator's errors; `error_code` names the model's error shape."""

    error_code: ClassVar[str] = "InternalFailureException"
    code = error_status("InternalFailureException")

    def __init__(self, message: str) -> None:
        super().__init__(self.error_code, message)


class InvalidRequestException(DetectMitigationError):
    error_code = "InvalidRequestException"
    code = error_status(error_code)


class ResourceNotFoundException(DetectMitigationError):
    error_code = "ResourceNotFoundException"
    code = error_status(error_code)


class ResourceAlreadyExistsException(DetectMitigationError):
    error_code = "ResourceAlreadyExistsException"
    code = error_status(error_code)


class TaskAlreadyExistsException(DetectMitigationError):
    error_code = "TaskAlreadyExistsException"
    code = error_status(error_code)


class LimitExceededException(DetectMitigationError):
    error_code = "LimitExceededException"
    code = error_status(error_code)


class ThrottlingException(DetectMitigationError):
    error_code = "ThrottlingException"
    code = error_status(error_code)


@functools.cache
def error_class(error_code: str) -> type[DetectMitigationError]:
    """The error class for any error shape of the model, so faults get the model's status."""
    for known in DetectMitigationError.__subclasses__():
        if known.error_code == error_code:
            return known
    status = error_status(error_code)  # ValueError for codes the model lacks
    attrs = {"error_code": error_code, "code": status, "__module__": __name__}
    return type(error_code, (DetectMitigationError,), attrs)
