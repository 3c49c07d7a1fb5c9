"""The emulator as a user runs it: `python -m iot_detect_mitigation.testing --port 0` in a process
of its own, its URL read from the first line it prints, driven over plain HTTP.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

COMMAND = [sys.executable, "-m", "iot_detect_mitigation.testing"]
START_TIMEOUT = 60.0
"""Seconds a server may take to print its URL: imports alone take a few on a busy machine."""


@dataclass
class EmulatorProcess:
    process: subprocess.Popen[str]
    url: str
    stderr: IO[str]
    returncode: int | None = None
    final_errors: str | None = None

    def errors(self) -> str:
        """What the server wrote to stderr so far (all of it, once stopped)."""
        if self.final_errors is not None:
            return self.final_errors
        self.stderr.seek(0)
        return self.stderr.read()

    def request(
        self, method: str, path: str, body: object = None, *, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """Send `body` as JSON (or `raw` bytes) as curl would; the status and the JSON answer."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, method=method, data=data)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@contextmanager
def emulator_process(*args: str) -> Iterator[EmulatorProcess]:
    """Serve on a free port until the block ends, then stop with SIGTERM as a shell would."""
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        running = None
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
            assert ready, "the server printed no URL"
            running = EmulatorProcess(process, process.stdout.readline().rstrip("\n"), stderr)
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
            if running is not None:
                running.returncode = process.returncode
                running.final_errors = running.errors()
