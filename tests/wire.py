"""A scripted HTTP layer under a real boto3 client: botocore builds, sends and parses as usual.

It answers from a script at botocore's ``before-send`` event, so tests can produce transport
faults (raised exactly where urllib3's would surface) and raw JSON bodies AWS might send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

Answer = BaseException | tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], str]
Responder = Callable[[AWSPreparedRequest], Answer]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error(code: str, status: int = 400, message: str = "nope") -> tuple[int, dict[str, Any], str]:
    return status, {"message": message}, code


@dataclass
class Wire:
    """Answers the client's requests in order from ``script``, or with ``responder``."""

    script: list[Answer] = field(default_factory=list)
    responder: Responder | None = None
    requests: list[AWSPreparedRequest] = field(default_factory=list)

    def attach(self, iot_client: Any) -> Wire:
        iot_client.meta.events.register("before-send.iot", self._send)
        return self

    def bodies(self) -> list[dict[str, Any]]:
        return [
            json.loads(r.body) if isinstance(r.body, bytes | str) else {} for r in self.requests
        ]

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.requests.append(request)
        answer = self.responder(request) if self.responder else self.script.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, body, *code = answer
        headers = HTTPHeaders()
        headers["x-amzn-RequestId"] = f"req-{len(self.requests)}"
        if code:
            headers["x-amzn-ErrorType"] = f"{code[0]}:"
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))
