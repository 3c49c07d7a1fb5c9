"""Monotonic clocks that move only when the code under test sleeps: no test really waits."""

from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from iot_detect_mitigation.testing import ManualClock

if TYPE_CHECKING:  # conftest imports this module: moto is imported only by the tests using it
    from iot_detect_mitigation.testing import DetectMitigationEmulator


@dataclass
class FakeTime:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class SharedTime:
    """The client's clock and sleep, moving the emulator's clock too: tasks last seconds of it.

    Alone, a sleep moves the clock on at once. Invocations that run at the same time (of a Lambda
    function, on threads) are counted from ``start()`` to ``stop()``: while any runs, the clock
    moves only once every running one sleeps, to the earliest wake-up, as if each had a CPU of
    its own. A sleep on another thread meanwhile is taken as one of theirs.
    """

    def __init__(self, emulator: DetectMitigationEmulator) -> None:
        self.manual = ManualClock(datetime(2026, 11, 22, tzinfo=UTC))
        self._origin = self.manual()
        self._changed = threading.Condition()
        self._running = 0
        self._awake = 0
        self._wakeups: list[tuple[float, int, list[bool]]] = []
        self._order = itertools.count()
        self.now = 0.0
        emulator.set_clock(self.manual)

    def clock(self) -> float:
        return self.now

    def start(self) -> None:
        """An invocation starts (call it before its thread runs, so the clock waits for it)."""
        with self._changed:
            self._running += 1
            self._awake += 1

    def stop(self) -> None:
        """An invocation ended: it no longer holds the clock back."""
        with self._changed:
            self._running -= 1
            self._awake -= 1
            self._move_on()

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._changed:
            if not self._running:
                self._move_to(self.now + seconds)
                return
            woken = [False]
            heapq.heappush(self._wakeups, (self.now + seconds, next(self._order), woken))
            self._awake -= 1
            self._move_on()
            while not woken[0]:
                if not self._changed.wait(timeout=60):
                    raise RuntimeError("simulated time stood still for a minute")

    def _move_on(self) -> None:
        """When every running invocation sleeps, wake the earliest (and any due with them)."""
        if self._awake or not self._wakeups:
            return
        earliest = self._wakeups[0][0]
        while self._wakeups and self._wakeups[0][0] <= earliest:
            heapq.heappop(self._wakeups)[2][0] = True
            self._awake += 1
        self._move_to(earliest)
        self._changed.notify_all()

    def _move_to(self, now: float) -> None:
        self.now = max(self.now, now)
        # The emulator's clock counts microseconds: move it to the same instant.
        behind = self._origin + timedelta(seconds=self.now) - self.manual()
        self.manual.advance(max(behind.total_seconds(), 0.0))
