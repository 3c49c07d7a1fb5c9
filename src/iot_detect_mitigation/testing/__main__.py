"""`python -m iot_detect_mitigation.testing [--port N] [--host H] [--verbose]`: serve until stopped.

The first line on stdout is the endpoint URL, so a script can start it with --port 0 and read
where it listens. A port that is taken ends it at once with one line on stderr and exit status 1.
`main` is the whole command. Another front end (a CLI subcommand) either calls it with its own
`prog`, or adds the options with `add_arguments` and calls `serve`.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from ._control_api import CONTROL_PREFIX
from ._server import EmulatorServer

PROG = "python -m iot_detect_mitigation.testing"
DESCRIPTION = (
    "Serve moto's AWS API plus the Device Defender detect mitigation emulator, "
    f"and its controls under {CONTROL_PREFIX}/."
)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_forever() -> None:
    while True:
        time.sleep(3600)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return port


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The command's options, for a parser of its own or a subcommand's."""
    command.add_argument(
        "--port", type=_port, default=5000, help="0 picks a free port (default 5000)"
    )
    command.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    command.add_argument(
        "--verbose", action="store_true", help="log every request to stderr (default: quiet)"
    )


def serve(port: int, host: str = "127.0.0.1", *, verbose: bool = False, prog: str = PROG) -> int:
    """Serve until SIGINT or SIGTERM; the exit status: 0, or 1 if it could not listen."""
    try:
        server = EmulatorServer(port=port, host=host, verbose=verbose).start()
    except OSError as error:
        busy = error.errno == errno.EADDRINUSE
        hint = " (choose another --port, or 0 for a free one)" if busy else ""
        print(f"{prog}: {error.strerror or error}{hint}", file=sys.stderr, flush=True)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(server.endpoint_url, flush=True)
        note = f"Serving on {server.endpoint_url}, controls under {CONTROL_PREFIX}/; Ctrl-C stops"
        print(note, file=sys.stderr, flush=True)
        _wait_forever()
    except KeyboardInterrupt:
        print("Stopped", file=sys.stderr, flush=True)
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    command = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    add_arguments(command)
    args = command.parse_args(argv)
    return serve(args.port, args.host, verbose=args.verbose, prog=prog)


if __name__ == "__main__":
    raise SystemExit(main())
