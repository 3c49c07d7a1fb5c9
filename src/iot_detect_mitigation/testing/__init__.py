"""A local emulator of the Device Defender detect-mitigation API on top of moto.

Install with the `testing` extra. Names load lazily, so importing this package (as the pytest
plugin does in every run) does not import moto until one of them is used.

Where AWS publishes no rule, the emulator chooses, and says so here:

- A task finishes on its 2nd DescribeDetectMitigationActionsTask unless `set_task_duration`
  says otherwise; the 1st describe shows about half the executions done.
- Omitted includeOnlyActiveViolations and includeSuppressedAlerts mean false: inactive
  violations are acted on, suppressed ones are not.
- Target filters combine: violation ids, profile, behavior and time range must all hold.
  Unknown violation ids are ignored; the time range is optional.
- A task with any FAILED execution ends FAILED; otherwise SUCCESSFUL (or CANCELED).
- A reused taskId or clientRequestToken gives TaskAlreadyExistsException, even when a retry
  repeats both.
- actionParams must name exactly one kind of action. Deleting an unknown action succeeds.
- List operations return 25 items per page unless maxResults says otherwise. A nextToken
  names the last item returned, so items added or deleted between pages are neither skipped
  nor repeated; items created meanwhile come after the ones that existed.
- ListDetectMitigationActionsExecutions needs a taskId or a whole time range, not both, as AWS
  documents.
- An empty path label, such as actionName "" (botocore sends it; newer SDKs refuse it), gets
  InvalidRequestException for that member, as AWS's validation of its pattern would.
- The server's controls live under /_emulator/ (see docs/testing.md); `reset` clears a
  region's violations, mitigation actions, tasks and controls, not moto's things and groups.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import Clock, ManualClock
    from ._emulator import DetectMitigationEmulator
    from ._mock import DetectMitigationMock, mock_detect_mitigation
    from ._records import Execution, MitigationAction, Task, TaskStatistics, TaskTarget, Violation
    from ._server import EmulatorServer

__all__ = [
    "Clock",
    "DetectMitigationEmulator",
    "DetectMitigationMock",
    "EmulatorServer",
    "Execution",
    "ManualClock",
    "MitigationAction",
    "Task",
    "TaskStatistics",
    "TaskTarget",
    "Violation",
    "mock_detect_mitigation",
]

_MODULES = {
    "Clock": "._clock",
    "ManualClock": "._clock",
    "DetectMitigationEmulator": "._emulator",
    "DetectMitigationMock": "._mock",
    "mock_detect_mitigation": "._mock",
    "Execution": "._records",
    "MitigationAction": "._records",
    "Task": "._records",
    "TaskStatistics": "._records",
    "TaskTarget": "._records",
    "Violation": "._records",
    "EmulatorServer": "._server",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
