"""A loopback HTTP proxy that misbehaves on purpose, in front of the emulator's server.

Each request takes the next fault from a plan: pass it through, answer 500 or throttle without
forwarding, reset the connection before forwarding, or forward it (so the server acts) and then
drop the connection without an answer, the case that leaves a caller unsure.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Fault = Literal["pass", "throttle", "500", "reset", "drop_after", "500_after"]
FAULTS: tuple[Fault, ...] = ("throttle", "500", "reset", "drop_after", "500_after")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.plan: deque[Fault] = deque()
        self.seen: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()

    def next_fault(self, method: str) -> Fault:
        with self._lock:
            fault = self.plan.popleft() if self.plan else "pass"
            self.seen.append((method, fault))
            return fault


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = proxy.next_fault(self.command)
            if fault == "reset":
                return self._abort()
            if fault in ("throttle", "500"):
                code = "ThrottlingException" if fault == "throttle" else "InternalFailureException"
                return self._answer(400 if fault == "throttle" else 500, code)
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            upstream.close()
            if fault == "drop_after":
                return self._abort()
            if fault == "500_after":
                return self._answer(500, "InternalFailureException")
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _answer(self, status: int, code: str) -> None:
            payload = json.dumps({"message": f"injected {code}"}).encode()
            self.send_response(status)
            self.send_header("x-amzn-ErrorType", f"{code}:")
            self.send_header("x-amzn-RequestId", "proxy")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
