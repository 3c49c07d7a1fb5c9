"""Test helpers for a fleet on the emulator: seeding devices, a shared fake clock, and reading
how many tasks ran at once from the tasks' own times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iot_detect_mitigation.testing import DetectMitigationEmulator, ManualClock


class SharedTime:
    """The client's clock and sleep, moving the emulator's clock too: tasks last seconds of it."""

    def __init__(self, emulator: DetectMitigationEmulator) -> None:
        self.manual = ManualClock(datetime(2026, 11, 22, tzinfo=UTC))
        self.now = 0.0
        emulator.set_clock(self.manual)

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.manual.advance(seconds)

    def clock(self) -> float:
        return self.now


def seed(iot: Any, emulator: DetectMitigationEmulator, count: int) -> list[str]:
    """``count`` things (sensor-0000, ...) each with a violation (v-0000, ...) of profile p."""
    ids = [f"v-{n:04d}" for n in range(count)]
    for n, violation in enumerate(ids):
        iot.create_thing(thingName=f"sensor-{n:04d}")
        emulator.add_violation(
            violation, thing_name=f"sensor-{n:04d}", security_profile_name="p", behavior_name="b"
        )
    return ids


def most_in_progress_at_once(emulator: DetectMitigationEmulator) -> int:
    """From the tasks' own start and end times on the emulator's clock."""
    edges: list[tuple[datetime, int]] = []
    for task in emulator.tasks.values():
        assert task.end is not None
        edges += [(task.start, 1), (task.end, -1)]
    running = most = 0
    for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):  # ends before starts
        running += step
        most = max(most, running)
    return most
