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


@functools.cache
def error_class(error_code: str) -> type[DetectMitigationError]:
    """The error class for any error shape of the model, so faults get the model's status."""
    status = error_status(error_code)  # ValueError for codes the model lacks
    attrs = {"error_code": error_code, "code": status, "__module__": __name__}
    return type(error_code, (DetectMitigationError,), attrs)


# The errors the emulator raises itself; injected faults may use any other shape of the model.
InvalidRequestException = error_class("InvalidRequestException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
ResourceAlreadyExistsException = error_class("ResourceAlreadyExistsException")
TaskAlreadyExistsException = error_class("TaskAlreadyExistsException")
LimitExceededException = error_class("LimitExceededException")
ThrottlingException = error_class("ThrottlingException")
