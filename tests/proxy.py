"""A loopback HTTP proxy that misbehaves on purpose, in front of the emulator's server.

Each request takes the next fault from a plan: pass it through; answer an error without
forwarding (throttling, 500, or a proxy's 502/503/504 with an HTML or empty body); reset the
connection before forwarding; delay the answer; or forward it (so the server acts) and then
drop the connection or answer an error instead, the cases that leave a caller unsure.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal


@dataclass(frozen=True)
class Canned:
    """An answer the proxy gives itself, before forwarding or (``after``) once the server acted."""

    status: int
    code: str | None = None
    """The AWS error code (``x-amzn-ErrorType``); None for a proxy's own error page."""
    body: bytes = b""
    content_type: str = "application/json"
    after: bool = False


def _aws(status: int, code: str, after: bool = False) -> Canned:
    body = json.dumps({"message": f"injected {code}"}).encode()
    return Canned(status, code, body, after=after)


_HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
CANNED: dict[str, Canned] = {
    "throttle": _aws(400, "ThrottlingException"),
    "500": _aws(500, "InternalFailureException"),
    "500_after": _aws(500, "InternalFailureException", after=True),
    "502_html": Canned(502, body=_HTML, content_type="text/html"),
    "502_after": Canned(502, body=_HTML, content_type="text/html", after=True),
    "503_empty": Canned(503),
    "504_empty": Canned(504),
    "unrecognized": _aws(403, "UnrecognizedClientException"),
    "expired": _aws(403, "ExpiredTokenException"),
    "denied": _aws(403, "AccessDeniedException"),
}

Fault = Literal[
    "pass",
    "reset",
    "drop_after",
    "slow",
    "throttle",
    "500",
    "500_after",
    "502_html",
    "502_after",
    "503_empty",
    "504_empty",
    "unrecognized",
    "expired",
    "denied",
]
FAULTS: tuple[Fault, ...] = (
    "throttle",
    "500",
    "reset",
    "drop_after",
    "500_after",
    "502_html",
    "502_after",
    "503_empty",
)
"""The faults a retry may overcome, for randomized sequences."""


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.plan: deque[Fault] = deque()
        self.repeat: Fault | None = None
        """When set, the fault every request gets once the plan is empty."""
        self.slow_seconds = 2.5
        self.seen: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()

    def next_fault(self, method: str) -> Fault:
        with self._lock:
            fault = self.plan.popleft() if self.plan else (self.repeat or "pass")
            self.seen.append((method, fault))
            return fault


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = proxy.next_fault(self.command)
            canned = CANNED.get(fault)
            if fault == "reset":
                return self._abort()
            if canned is not None and not canned.after:
                return self._answer(canned)
            if fault == "slow":
                time.sleep(proxy.slow_seconds)
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            upstream.close()
            if fault == "drop_after":
                return self._abort()
            if canned is not None:
                return self._answer(canned)
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _answer(self, canned: Canned) -> None:
            self.send_response(canned.status)
            if canned.code:
                self.send_header("x-amzn-ErrorType", f"{canned.code}:")
                self.send_header("x-amzn-RequestId", "proxy")
            self.send_header("Content-Type", canned.content_type)
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)

        def _abort(self) -> None:
            # SO_LINGER 0: close with a RST, no answer at all.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = _relay

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fault_proxy(upstream: str) -> Iterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    # A short poll interval: shutdown() waits for the loop to notice, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield proxy, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers: a hung load balancer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # the kernel completes handshakes; nobody ever reads or writes
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
