"""The benchmark's floor models read what the library's models read, with none of their rules.

``make bench`` reports raw boto3 plus a parse by ``benchmarks.floor.bare`` models as the least any
pydantic-based wrapper can cost; that holds only while they mirror the library's shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from benchmarks.floor import bare
from benchmarks.run import BARE_START, RAW_START, SUMMARY, BareStart, _execution, _parsed
from iot_detect_mitigation import (
    DetectMitigationActionExecution,
    DetectMitigationActionsTaskSummary,
    StartDetectMitigationActionsTaskRequest,
)


def _aliases(model: type[BaseModel]) -> dict[str, str | None]:
    return {name: field.alias for name, field in model.model_fields.items()}


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (DetectMitigationActionsTaskSummary, _parsed(SUMMARY, in_local_time=False)),
        (DetectMitigationActionExecution, _parsed(_execution(0), in_local_time=False)),
        (StartDetectMitigationActionsTaskRequest, {**RAW_START, "clientRequestToken": "token"}),
    ],
)
def test_a_bare_model_reads_the_worst_case_payload_as_the_library_does(
    model: type[BaseModel], payload: dict[str, Any]
) -> None:
    floor = bare(model)
    assert _aliases(floor) == _aliases(model)
    ours = model.model_validate(payload).model_dump(mode="json", by_alias=True)
    assert floor.model_validate(payload).model_dump(mode="json", by_alias=True) == ours


def test_a_bare_model_applies_none_of_the_rules() -> None:
    floor = bare(StartDetectMitigationActionsTaskRequest)
    anything = floor.model_validate({"taskId": "not valid!", "actions": ["a", "a"]})
    assert anything.model_dump(by_alias=True, exclude_none=True) == {
        "taskId": "not valid!",
        "actions": ["a", "a"],
    }


def test_the_floor_start_validates_every_member_the_raw_start_sends() -> None:
    sent = BareStart(**BARE_START).model_dump(by_alias=True, exclude_none=True)
    assert sent == {**RAW_START, "clientRequestToken": "bench-token"}
