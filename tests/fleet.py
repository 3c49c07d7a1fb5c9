"""A fleet on the emulator for incident tests: a quarantine group and the action that fills it,
violating things, and what to read back (who was quarantined, how many tasks ran at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iot_detect_mitigation.testing import DetectMitigationEmulator

ROLE = "arn:aws:iam::123456789012:role/mitigation"


def quarantine_action(iot: Any) -> None:
    """A thing group ``quarantine`` and the mitigation action ``quarantine`` adding to it."""
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )


def seed(iot: Any, emulator: DetectMitigationEmulator, count: int) -> list[str]:
    """Things ``sensor-0000``... each with a violation ``v-0000``... of profile p, behavior b."""
    ids = [f"v-{n:04d}" for n in range(count)]
    for n, violation in enumerate(ids):
        iot.create_thing(thingName=f"sensor-{n:04d}")
        emulator.add_violation(
            violation, thing_name=f"sensor-{n:04d}", security_profile_name="p", behavior_name="b"
        )
    return ids


def quarantined(iot: Any) -> set[str]:
    pages = iot.get_paginator("list_things_in_thing_group").paginate(thingGroupName="quarantine")
    return {thing for page in pages for thing in page["things"]}


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
