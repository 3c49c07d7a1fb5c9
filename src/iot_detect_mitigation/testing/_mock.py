"""mock_detect_mitigation: moto's mock_aws plus the detect-mitigation operations."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID, MockAWS

from ._emulator import DetectMitigationEmulator
from ._responses import install

P = ParamSpec("P")
R = TypeVar("R")


class DetectMitigationMock:
    """A context manager and decorator; entering starts mock_aws and returns the region's handle.

    For the duration it also sets AWS_DEFAULT_REGION to `region_name`, so plain
    `boto3.client("iot")` talks to the region the handle reads. As with mock_aws, state is
    cleared on entry and on exit.
    """

    def __init__(
        self, region_name: str | None = None, account_id: str = DEFAULT_ACCOUNT_ID
    ) -> None:
        self.region_name = region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.account_id = account_id
        self._active: list[tuple[MockAWS, str | None]] = []

    def __enter__(self) -> DetectMitigationEmulator:
        install()
        mock = mock_aws()
        mock.start()
        self._active.append((mock, os.environ.get("AWS_DEFAULT_REGION")))
        os.environ["AWS_DEFAULT_REGION"] = self.region_name
        return DetectMitigationEmulator(self.region_name, self.account_id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        mock, previous_region = self._active.pop()
        if previous_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
        mock.stop()

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate a function; inside it, DetectMitigationEmulator.for_region() is the handle."""

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self:
                return func(*args, **kwargs)

        return wrapper


def mock_detect_mitigation(
    region_name: str | None = None, account_id: str = DEFAULT_ACCOUNT_ID
) -> DetectMitigationMock:
    """Mock AWS in-process with the emulator.

    `region_name` defaults to AWS_DEFAULT_REGION, else us-east-1.
    """
    return DetectMitigationMock(region_name, account_id)
