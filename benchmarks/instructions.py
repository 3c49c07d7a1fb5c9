"""``make bench-instructions``: the Stubber figures counted in CPU instructions, which do not drift.

Wall-clock ratios on a shared machine move by a percent or two from run to run, about the
distance between some figures and their goals. Instructions (valgrind's callgrind) are the same
on every run; they miss cache misses and system calls, so they say where the work is, not what
it costs. Each figure runs in a child under callgrind twice, with ``FEW`` and ``MANY`` calls
after a warm-up; the difference over ``MANY - FEW`` calls is the count per call, free of the
interpreter's start and the set-up. Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

FEW, MANY = 5, 25
CASES = {
    "describe_task on Stubber": ("raw describe", "our describe", "floor describe"),
    "list_executions, a page of 250, on Stubber": ("raw page", "our page", "floor page"),
}


def _calls() -> dict[str, Callable[[], object]]:
    """Each side's call, as ``run.stubber_figures`` makes them but on one Stubber-backed client
    (``run.py`` gives each side its own; instruction counts do not depend on which)."""
    from botocore.stub import Stubber

    from benchmarks.run import (
        SUMMARY,
        BarePage,
        BareSummary,
        _execution,
        _parsed,
        raw_client,
    )
    from iot_detect_mitigation import DetectMitigationClient

    ours = DetectMitigationClient(raw_client())
    iot = ours.iot_client
    stub = Stubber(iot)
    stub.activate()
    describe = {"taskSummary": _parsed(SUMMARY, in_local_time=False)}
    page = {"actionsExecutions": _parsed([_execution(n) for n in range(250)], False)}

    def raw_describe() -> Any:
        stub.add_response("describe_detect_mitigation_actions_task", describe)
        return iot.describe_detect_mitigation_actions_task(taskId="bench")

    def raw_page() -> Any:
        stub.add_response("list_detect_mitigation_actions_executions", page)
        return iot.list_detect_mitigation_actions_executions(taskId="bench", maxResults=250)

    def our_describe() -> object:
        stub.add_response("describe_detect_mitigation_actions_task", describe)
        return ours.describe_task("bench")

    def our_page() -> object:
        stub.add_response("list_detect_mitigation_actions_executions", page)
        return list(ours.list_executions(task_id="bench", page_size=250))

    return {
        "raw describe": raw_describe,
        "our describe": our_describe,
        "floor describe": lambda: BareSummary.model_validate(raw_describe()["taskSummary"]),
        "raw page": raw_page,
        "our page": our_page,
        "floor page": lambda: BarePage.validate_python(raw_page()["actionsExecutions"]),
    }


def _child(name: str, calls: int) -> None:
    call = _calls()[name]
    for _ in range(FEW):  # warm-up: first-use builds and caches
        call()
    for _ in range(calls):
        call()


def _instructions(name: str, calls: int) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            name,
            str(calls),
        ],
        env=os.environ | {"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind reported no count:\n{done.stderr}")
    return int(found.group(1))


def per_call(name: str) -> float:
    return (_instructions(name, MANY) - _instructions(name, FEW)) / (MANY - FEW)


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    os.environ.update(
        AWS_ACCESS_KEY_ID="AKIABENCHMARKFAKE000",
        AWS_SECRET_ACCESS_KEY="benchmark-fake-secret",
        AWS_DEFAULT_REGION="us-east-1",
    )
    print("| figure | raw boto3, instructions a call | ours | floor |")
    print("|---|---|---|---|")
    results: dict[str, dict[str, float]] = {}
    for figure, (raw, ours, floor) in CASES.items():
        base = per_call(raw)
        mine, least = per_call(ours) / base, per_call(floor) / base
        results[figure] = {"raw": round(base), "ours": round(mine, 3), "floor": round(least, 3)}
        print(f"| {figure} | {base / 1e6:.2f} M | {mine:.3f}x | {least:.3f}x |")
    print(json.dumps({"instructions": results}))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _child(sys.argv[1], int(sys.argv[2]))
    else:
        main()
