"""`python -m iot_detect_mitigation.testing --port PORT`: serve until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from ._server import EmulatorServer


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_forever() -> None:
    while True:
        time.sleep(3600)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m iot_detect_mitigation.testing",
        description="Serve moto's IoT API plus the Device Defender detect mitigation emulator.",
    )
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port (default 5000)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    with EmulatorServer(port=args.port, host=args.host) as server:
        print(f"Serving on {server.endpoint_url}", flush=True)
        try:
            _wait_forever()
        except KeyboardInterrupt:
            print("Stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
