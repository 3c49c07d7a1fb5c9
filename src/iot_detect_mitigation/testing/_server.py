"""EmulatorServer: moto's whole API plus the emulator over HTTP, in this process.

It runs moto's ThreadedMotoServer after installing the handlers; a separate `moto_server`
process would lack them. Being in-process, tests seed and inject faults through `emulator()`.
"""

from __future__ import annotations

from types import TracebackType

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iot.models import iot_backends
from moto.server import ThreadedMotoServer

from ._emulator import DetectMitigationEmulator
from ._responses import install


class EmulatorServer:
    """Serve on `host`:`port` (port 0 picks a free one) while entered, or between start and stop.

    State lives in this process's moto backends and outlives the server; `reset()` clears it.
    Entering mock_aws meanwhile resets it too.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint_url(self) -> str:
        """The URL to give any AWS client as endpoint_url."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.host}:{self.port}"

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
        if self._server is not None:
            raise RuntimeError("the server is already running")
        install()
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self.host, self.port = server.get_host_and_port()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
