"""Sending one boto3 call: typed errors, counted HTTP requests, and an optional deadline.

botocore re-sends a request inside one call when the caller's client has retries on, and reports
it only in ``ResponseMetadata``, which an error raised after a lost answer does not carry. So
every HTTP request is counted where botocore sends it (its ``before-send`` event), per thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from ._errors import DetectMitigationError, TransportError, UnexpectedResponseError, from_botocore

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_iot import IoTClient

DEADLINE_GRACE = 0.5
"""Seconds a call that started before a wait's deadline may run past it before it is abandoned."""

_sends = threading.local()


def _count_send(**_: Any) -> None:
    _sends.count = getattr(_sends, "count", 0) + 1


@dataclass
class Tally:
    """HTTP requests sent for one logical call: ``sent`` in all, ``last`` by the latest attempt."""

    sent: int = 0
    last: int = 0

    def add(self, sends: int) -> None:
        # A Stubber answers before anything is sent; count the attempt all the same.
        self.last = max(1, sends)
        self.sent += self.last

    def recorded(self) -> Tally:
        """A context that stamps the total on any error leaving it; calls enter it only once
        an attempt has failed, so a call that succeeds at once pays nothing for it."""
        return self

    def __enter__(self) -> None:
        pass

    def __exit__(self, _kind: object, error: BaseException | None, _trace: object) -> None:
        if isinstance(error, DetectMitigationError):
            error.attempts = max(1, self.sent)


class Sender:
    """Sends operations on one boto3 ``iot`` client and turns every failure into ours."""

    def __init__(self, iot_client: IoTClient, clock: Callable[[], float]) -> None:
        self._client = iot_client
        self._clock = clock
        self._methods: dict[str, Callable[..., Any]] = {}
        # Idempotent: a unique id registers once per boto3 client, however many wrap it.
        iot_client.meta.events.register(
            "before-send.iot", _count_send, unique_id="iot-detect-mitigation-count-sends"
        )

    def send(
        self,
        operation: str,
        params: dict[str, Any],
        tally: Tally,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """One attempt. With a ``deadline`` (on the clock), it runs in a helper thread and is
        abandoned ``DEADLINE_GRACE`` seconds after it, since botocore cannot cancel a call."""
        if deadline is None:
            return self._attempt(operation, params, tally)
        budget = deadline + DEADLINE_GRACE - self._clock()
        outcome: list[Any] = []
        own = Tally()
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append(self._attempt(operation, params, own))
            except BaseException as error:  # handed to the waiting thread, which raises it
                outcome.append(error)
            finally:
                done.set()

        threading.Thread(target=run, name=f"iot-detect-mitigation {operation}", daemon=True).start()
        if not done.wait(min(max(budget, 0.0), threading.TIMEOUT_MAX)):
            tally.add(1)
            raise TransportError(
                f"no answer within the deadline ({max(budget, 0.0):.1f}s for this call); "
                "the call was abandoned",
                operation_name=operation,
                sent=True,
            )
        tally.add(own.last)
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        result: dict[str, Any] = outcome[0]
        return result

    def _attempt(self, operation: str, params: dict[str, Any], tally: Tally) -> dict[str, Any]:
        method = self._methods.get(operation)
        if method is None:
            method = self._methods[operation] = getattr(self._client, xform_name(operation))
        _sends.count = 0
        try:
            response: dict[str, Any] = method(**params)
            return response
        except (ClientError, BotoCoreError) as error:
            raise from_botocore(error, operation) from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # botocore's parser lets these out unwrapped on odd bodies (found by fuzzing).
            raise UnexpectedResponseError(
                f"cannot parse the response: {error}", operation_name=operation
            ) from error
        finally:
            tally.add(_sends.count)
