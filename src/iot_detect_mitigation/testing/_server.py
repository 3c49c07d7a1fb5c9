"""EmulatorServer: moto's whole API, the emulator, and its controls over HTTP, in this process.

moto's own WSGI application serves the AWS API; werkzeug's DispatcherMiddleware mounts the
control API at /_emulator in front of it, as moto mounts /moto-api. A separate `moto_server`
process would lack both. The server binds its socket before it starts, so a busy port fails at
once in the caller instead of in a thread that never reports.
"""

from __future__ import annotations

import os
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iot.models import iot_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server, select_address_family

from ._control_api import CONTROL_PREFIX, ControlApp
from ._emulator import DetectMitigationEmulator
from ._responses import install

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler without the access log; werkzeug still reports errors."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def application() -> WSGIApplication:
    """moto's application with the control API mounted at /_emulator."""
    return DispatcherMiddleware(
        DomainDispatcherApplication(create_backend_app), {CONTROL_PREFIX: ControlApp()}
    )


def endpoint_url(host: str, port: int) -> str:
    """The URL for `host`:`port`; an IPv6 address goes in brackets, as URLs require."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, or an OSError naming the address (werkzeug would exit the process)."""
    family = select_address_family(host, port)
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        # socket.create_server appends the address to strerror; name it once, in URL form.
        code = error.errno or 0
        reason = os.strerror(code) if code > 0 else str(error.strerror)
        raise OSError(
            error.errno, f"cannot listen on {endpoint_url(host, port)}: {reason}"
        ) from error


class EmulatorServer:
    """Serve on `host`:`port` (port 0 picks a free one) while entered, or between start and stop.

    State lives in this process's moto backends and outlives the server; `reset()` clears it.
    Entering mock_aws meanwhile resets it too. Requests are not logged unless `verbose`.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1", *, verbose: bool = False) -> None:
        self.host = host
        self.port = port
        self.verbose = verbose
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """The URL to give any AWS client as endpoint_url."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        return endpoint_url(self.host, self.port)

    def emulator(
        self, region_name: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
    ) -> DetectMitigationEmulator:
        """The handle on a region's state; moto's server uses account 123456789012 by default."""
        return DetectMitigationEmulator(region_name, account_id)

    def reset(self) -> None:
        """Clear moto's IoT state in every account and region, the emulator's included."""
        for account_backends in iot_backends.values():
            account_backends.reset()

    def start(self) -> EmulatorServer:
        """Start serving; OSError (errno EADDRINUSE for a busy port) if it cannot listen."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        install()
        listener = _listen(self.host, self.port)
        with listener:  # werkzeug serves a duplicate of it
            server = make_server(
                self.host,
                self.port,
                application(),
                threaded=True,
                request_handler=MotoRequestHandler if self.verbose else _QuietRequestHandler,
                fd=listener.fileno(),
            )
        self.host, self.port = str(server.server_address[0]), int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"emulator-{self.port}", daemon=True
        )
        self._thread.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
