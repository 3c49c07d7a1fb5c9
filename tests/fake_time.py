"""A monotonic clock that moves only when the code under test sleeps: no test really waits."""

from __future__ import annotations

from dataclasses import dataclass, field


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
