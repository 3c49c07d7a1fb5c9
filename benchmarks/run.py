"""``make bench``: what the library costs on top of raw boto3, measured side by side.

Every figure is a ratio against its baseline measured in the same run. After a warm-up, each
round alternates the two sides call by call (which goes first swaps every pair), so that drift in
the machine's speed hits both alike; the median of the per-round ratios is reported. The HTTP
server is a minimal canned one on 127.0.0.1, in its own process pinned to its own CPU, so that
the client's own work is not hidden behind a slow server. Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from botocore.utils import parse_timestamp
from pydantic import TypeAdapter

from benchmarks.floor import bare
from benchmarks.polling import GOALS, measure
from iot_detect_mitigation import (
    DetectMitigationActionExecution,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    RetryPolicy,
    StartDetectMitigationActionsTaskRequest,
    ThrottlingError,
    ViolationEventOccurrenceRange,
    WaitPolicy,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
CALLS = int(os.environ.get("BENCH_CALLS", "200"))
COLD_ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "25"))
# A Lambda package holds the runtime dependencies only; `make bench` passes such a venv's python
# (pydantic's first schema build scans every installed distribution for plugins).
COLD_PYTHON = os.environ.get("BENCH_COLD_PYTHON", sys.executable)

# The worst-case answer the library reads (issue 14): a 25-id target, a window, both flags, five
# actions of five different kinds with their largest parameters (10 thing groups of 128
# characters, a 350-character topic), and statistics.
_IDS = [f"{n:08x}-7c1e-4b6a-9f3d-2b8e4c6a1d{n:02d}" for n in range(25)]
_ROLE = "arn:aws:iam::123456789012:role/service-role/iot-device-defender-mitigation"


def _action(number: int, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"mitigation-{number}-" + "x" * 100,
        "id": f"c4b5c9d6-0000-4000-8000-00000000000{number}",
        "roleArn": _ROLE,
        "actionParams": params,
    }


SUMMARY: dict[str, Any] = {
    "taskId": "bench",
    "taskStatus": "SUCCESSFUL",
    "taskStartTime": 1763700000.123,
    "taskEndTime": 1763700001.5,
    "target": {"violationIds": _IDS},
    "violationEventOccurrenceRange": {"startTime": 1763690000.0, "endTime": 1763700000.0},
    "onlyActiveViolationsIncluded": True,
    "suppressedAlertsIncluded": True,
    "actionsDefinition": [
        _action(
            1,
            {
                "addThingsToThingGroupParams": {
                    "thingGroupNames": [f"quarantine-{n:02d}-" + "g" * 114 for n in range(10)],
                    "overrideDynamicGroups": True,
                }
            },
        ),
        _action(2, {"enableIoTLoggingParams": {"roleArnForLogging": _ROLE, "logLevel": "DEBUG"}}),
        _action(
            3,
            {
                "publishFindingToSnsParams": {
                    "topicArn": "arn:aws:sns:us-east-1:123456789012:" + "t" * 315
                }
            },
        ),
        _action(4, {"replaceDefaultPolicyVersionParams": {"templateName": "BLANK_POLICY"}}),
        _action(5, {"updateDeviceCertificateParams": {"action": "DEACTIVATE"}}),
    ],
    "taskStatistics": {"actionsExecuted": 100, "actionsSkipped": 20, "actionsFailed": 5},
}
WINDOW = ViolationEventOccurrenceRange(
    start_time=datetime(2025, 11, 21, 1, 53, 20, tzinfo=UTC),
    end_time=datetime(2025, 11, 21, 4, 40, tzinfo=UTC),
)
ACTIONS = [action["name"] for action in SUMMARY["actionsDefinition"]]
# The same task as a start request: every member a start can send.
START: dict[str, Any] = {
    "task_id": "bench",
    "target": DetectMitigationActionsTaskTarget(violation_ids=_IDS),
    "actions": ACTIONS,
    "violation_event_occurrence_range": WINDOW,
    "include_only_active_violations": True,
    "include_suppressed_alerts": True,
}
RAW_START: dict[str, Any] = {
    "taskId": "bench",
    "target": {"violationIds": _IDS},
    "actions": ACTIONS,
    "violationEventOccurrenceRange": {"startTime": WINDOW.start_time, "endTime": WINDOW.end_time},
    "includeOnlyActiveViolations": True,
    "includeSuppressedAlerts": True,
}
# A full page of ListDetectMitigationActionsExecutions (its largest, 250 executions).
EXECUTIONS_PAGE = 250


def _execution(number: int) -> dict[str, Any]:
    return {
        "taskId": "bench",
        "violationId": _IDS[number % 25],
        "actionName": ACTIONS[number % 5],
        "thingName": f"sensor-{number:05d}",
        "executionStartDate": 1763700000.25 + number,
        "executionEndDate": 1763700001.5 + number,
        "status": "FAILED" if number % 50 == 0 else "SUCCESSFUL",
        **({"errorCode": "AccessDenied", "message": "m" * 200} if number % 50 == 0 else {}),
    }


class CannedHandler(BaseHTTPRequestHandler):
    """Answers start and describe like IoT, or throttles everything when the path asks."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # otherwise delayed ACKs, not clients, dominate per-call time
    hits = 0

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).hits += 1
        task_id = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        body: dict[str, Any]
        extra: dict[str, str]
        if task_id.startswith("throttle"):
            status, body = 400, {"message": "Rate exceeded"}
            extra = {"x-amzn-ErrorType": "ThrottlingException:"}
        elif self.command == "PUT":
            status, body, extra = 200, {"taskId": task_id}, {}
        else:
            status, body, extra = 200, {"taskSummary": {**SUMMARY, "taskId": task_id}}, {}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", "bench-request")
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = _answer

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def canned_server() -> Iterator[str]:
    """In this process: for counting requests, not for timing (it shares the GIL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def pin_to(cpu_index: int) -> None:
    """Pin this process to one CPU, so that the server and the client never share one."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) >= 2:
        os.sched_setaffinity(0, {cpus[cpu_index]})


def _serve(ports: multiprocessing.Queue[int]) -> None:
    pin_to(0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedHandler)
    ports.put(server.server_address[1])
    server.serve_forever()


@contextmanager
def canned_server_process() -> Iterator[str]:
    """In its own process, so that timing the client does not time the server's GIL share."""
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=30)}"
    finally:
        process.terminate()
        process.join()


def ratio(ours: Callable[[], object], baseline: Callable[[], object], calls: int = CALLS) -> float:
    """Median over rounds of ours/baseline time, the two called alternately, call by call."""
    clock = time.perf_counter
    for _ in range(calls // 4):  # warm-up
        ours()
        baseline()
    ratios = []
    for _ in range(ROUNDS):
        mine = base = 0.0
        for call in range(calls):
            first, second = (ours, baseline) if call % 2 else (baseline, ours)
            started = clock()
            first()
            between = clock()
            second()
            ended = clock()
            if first is ours:
                mine, base = mine + between - started, base + ended - between
            else:
                base, mine = base + between - started, mine + ended - between
        ratios.append(mine / base)
    return statistics.median(ratios)


def raw_client(endpoint_url: str | None = None) -> Any:
    return boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint_url)


# The floor: raw boto3 on a client of its own, plus the cheapest validating pydantic models of the
# same shapes (benchmarks/floor.py). A wrapper that validates into pydantic models costs at least
# that. The floor start validates its request but sends the prepared RAW_START: it leaves out
# turning the model into boto3's arguments, which any wrapper must do, so it is a lower bound.
FLOOR = "floor, raw boto3 + bare pydantic models: "
BareStart = bare(StartDetectMitigationActionsTaskRequest)
# The start's members as ``START`` gives them to ours: target and window already built.
BARE_START: dict[str, Any] = {
    **RAW_START,
    "target": bare(DetectMitigationActionsTaskTarget).model_validate(RAW_START["target"]),
    "violationEventOccurrenceRange": bare(ViolationEventOccurrenceRange).model_validate(
        RAW_START["violationEventOccurrenceRange"]
    ),
    "clientRequestToken": "bench-token",  # botocore makes the floor call's own, as for raw
}
BareSummary = bare(DetectMitigationActionsTaskSummary)
_BARE_PAGE: Any = list[bare(DetectMitigationActionExecution)]  # type: ignore[misc]  # a model made at run time
BarePage: TypeAdapter[Any] = TypeAdapter(_BARE_PAGE)


def http_figures(endpoint: str) -> dict[str, float]:
    raw = raw_client(endpoint)
    wrapped = DetectMitigationClient(raw_client(endpoint))
    built = DetectMitigationClient(region_name="us-east-1", endpoint_url=endpoint)
    other = raw_client(endpoint)

    def floor_start() -> object:
        BareStart(**BARE_START)
        return other.start_detect_mitigation_actions_task(**RAW_START)

    def floor_describe() -> object:
        answer = other.describe_detect_mitigation_actions_task(taskId="bench")
        return BareSummary.model_validate(answer["taskSummary"])

    def raw_start() -> object:
        return raw.start_detect_mitigation_actions_task(**RAW_START)

    def raw_describe() -> object:
        return raw.describe_detect_mitigation_actions_task(taskId="bench")

    return {
        "start_task over HTTP (caller's default client)": ratio(
            lambda: wrapped.start_task(**START), raw_start
        ),
        "describe_task over HTTP (caller's default client)": ratio(
            lambda: wrapped.describe_task("bench"), raw_describe
        ),
        "start_task over HTTP (client the library built)": ratio(
            lambda: built.start_task(**START), raw_start
        ),
        "describe_task over HTTP (client the library built)": ratio(
            lambda: built.describe_task("bench"), raw_describe
        ),
        FLOOR + "start over HTTP": ratio(floor_start, raw_start),
        FLOOR + "describe over HTTP": ratio(floor_describe, raw_describe),
    }


def _parsed(value: Any, in_local_time: bool, key: str = "") -> Any:
    """An answer as a Stubber is given it: timestamps (epoch seconds here) become datetimes, in
    UTC, or in local time as botocore's parser returns them."""
    if isinstance(value, dict):
        return {name: _parsed(member, in_local_time, name) for name, member in value.items()}
    if isinstance(value, list):
        return [_parsed(item, in_local_time) for item in value]
    if isinstance(value, float) and key.endswith(("Time", "Date")):
        return parse_timestamp(str(value)) if in_local_time else datetime.fromtimestamp(value, UTC)
    return value


def stubber_figures() -> dict[str, float]:
    raw = raw_client()
    wrapped = DetectMitigationClient(raw_client())
    other = raw_client()
    raw_stub, our_stub, other_stub = Stubber(raw), Stubber(wrapped.iot_client), Stubber(other)
    for stub in (raw_stub, our_stub, other_stub):
        stub.activate()
    start_answer = {"taskId": "bench"}
    page_params = {"taskId": "bench", "maxResults": EXECUTIONS_PAGE}

    def raw_start() -> object:
        raw_stub.add_response("start_detect_mitigation_actions_task", start_answer)
        return raw.start_detect_mitigation_actions_task(**RAW_START)

    def our_start() -> object:
        our_stub.add_response("start_detect_mitigation_actions_task", start_answer)
        return wrapped.start_task(**START)

    figures = {"start_task on Stubber": ratio(our_start, raw_start)}
    for in_local_time, label in ((False, ""), (True, ", timestamps in local time")):
        describe_answer = {"taskSummary": _parsed(SUMMARY, in_local_time)}
        executions = [_execution(number) for number in range(EXECUTIONS_PAGE)]
        page = {"actionsExecutions": _parsed(executions, in_local_time)}

        def raw_describe(answer: dict[str, Any] = describe_answer) -> object:
            raw_stub.add_response("describe_detect_mitigation_actions_task", answer)
            return raw.describe_detect_mitigation_actions_task(taskId="bench")

        def our_describe(answer: dict[str, Any] = describe_answer) -> object:
            our_stub.add_response("describe_detect_mitigation_actions_task", answer)
            return wrapped.describe_task("bench")

        def raw_page(answer: dict[str, Any] = page) -> object:
            raw_stub.add_response("list_detect_mitigation_actions_executions", answer)
            return raw.list_detect_mitigation_actions_executions(**page_params)

        def our_page(answer: dict[str, Any] = page) -> object:
            our_stub.add_response("list_detect_mitigation_actions_executions", answer)
            return list(wrapped.list_executions(task_id="bench", page_size=EXECUTIONS_PAGE))

        def floor_describe(answer: dict[str, Any] = describe_answer) -> object:
            other_stub.add_response("describe_detect_mitigation_actions_task", answer)
            got = other.describe_detect_mitigation_actions_task(taskId="bench")
            return BareSummary.model_validate(got["taskSummary"])

        def floor_page(answer: dict[str, Any] = page) -> object:
            other_stub.add_response("list_detect_mitigation_actions_executions", answer)
            got = other.list_detect_mitigation_actions_executions(**page_params)
            return BarePage.validate_python(got["actionsExecutions"])

        figures[f"describe_task on Stubber{label}"] = ratio(our_describe, raw_describe)
        figures[f"list_executions, a page of 250, on Stubber{label}"] = ratio(
            our_page, raw_page, calls=CALLS // 10
        )
        if not in_local_time:
            figures[FLOOR + "describe on Stubber"] = ratio(floor_describe, raw_describe)
            figures[FLOOR + "a page of 250 on Stubber"] = ratio(
                floor_page, raw_page, calls=CALLS // 10
            )
    return figures


COLD_BASELINE = """
import boto3
client = boto3.client("iot", region_name="us-east-1", endpoint_url={endpoint!r})
client.describe_detect_mitigation_actions_task(taskId="bench")
"""
COLD_OURS = """
from iot_detect_mitigation import DetectMitigationClient
client = DetectMitigationClient(region_name="us-east-1", endpoint_url={endpoint!r})
client.describe_task("bench")
"""


# The child reports its own peak RSS: rusage's ru_maxrss would include the pre-exec fork of this
# (large) benchmark process. VmHWM is per address space, so exec resets it (Linux).
REPORT_PEAK = (
    "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0], flush=True)\n"
)
# A Lambda instance is frozen, not shut down, after its first answer: the cold start ends there,
# with os._exit. The same run with the interpreter's exit (boto3's teardown alone takes tens of
# milliseconds) is reported for reference.
SKIP_EXIT = "import os; os._exit(0)\n"


def run_process(code: str, *, skip_exit: bool) -> tuple[float, int]:
    """Wall time of a whole fresh interpreter, and its peak RSS in KiB."""
    started = time.perf_counter()
    done = subprocess.run(
        [COLD_PYTHON, "-c", code + REPORT_PEAK + (SKIP_EXIT if skip_exit else "")],
        env=os.environ | {"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, int(done.stdout.split()[-1])


def cold_start_figures(endpoint: str) -> dict[str, float]:
    baseline, ours = COLD_BASELINE.format(endpoint=endpoint), COLD_OURS.format(endpoint=endpoint)
    for code in (baseline, ours):
        run_process(code, skip_exit=True)  # warm the file cache
    ratios: dict[bool, list[float]] = {True: [], False: []}
    extra_kib = []
    for round_number in range(COLD_ROUNDS):
        order = (baseline, ours) if round_number % 2 else (ours, baseline)
        for skip_exit, runs in ratios.items():
            results = {code: run_process(code, skip_exit=skip_exit) for code in order}
            runs.append(results[ours][0] / results[baseline][0])
            if skip_exit:
                extra_kib.append(results[ours][1] - results[baseline][1])
    return {
        "cold start (import + client + first describe, ended by os._exit)": statistics.median(
            ratios[True]
        ),
        "cold start extra peak memory (MiB)": statistics.median(extra_kib) / 1024,
        "for reference: the same cold start with the interpreter's exit": statistics.median(
            ratios[False]
        ),
    }


def attempts_figure(endpoint: str) -> float:
    policy = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.002)
    client = DetectMitigationClient(
        region_name="us-east-1", endpoint_url=endpoint, retry_policy=policy
    )
    CannedHandler.hits = 0
    logical_calls = 20
    gave_up = 0
    for _ in range(logical_calls):
        try:
            client.describe_task("throttle-me")
        except ThrottlingError:
            gave_up += 1
    if gave_up != logical_calls:
        raise RuntimeError("an always-throttling server must exhaust every call's retries")
    return CannedHandler.hits / logical_calls / policy.max_attempts


GOALS_TABLE = {
    "start_task over HTTP (caller's default client)": 1.03,
    "describe_task over HTTP (caller's default client)": 1.03,
    "start_task over HTTP (client the library built)": 1.00,
    "start_task on Stubber": 1.15,
    "describe_task on Stubber": 1.10,
    "list_executions, a page of 250, on Stubber": 1.10,
    "cold start (import + client + first describe, ended by os._exit)": 1.10,
    "cold start extra peak memory (MiB)": 10.0,
    "HTTP attempts per logical call / RetryPolicy.max_attempts": 1.0,
}


def main() -> None:
    # Fake credentials: the canned server checks no signature, and nothing reaches AWS.
    os.environ.update(
        AWS_ACCESS_KEY_ID="AKIABENCHMARKFAKE000",
        AWS_SECRET_ACCESS_KEY="benchmark-fake-secret",
        AWS_DEFAULT_REGION="us-east-1",
    )
    os.environ.pop("AWS_PROFILE", None)
    with canned_server_process() as endpoint:
        pin_to(1)
        figures = {**http_figures(endpoint), **stubber_figures(), **cold_start_figures(endpoint)}
    with canned_server() as endpoint:
        # Every call gives up after its retries; their warnings would drown the table.
        logging.getLogger("iot_detect_mitigation").setLevel(logging.ERROR)
        figures["HTTP attempts per logical call / RetryPolicy.max_attempts"] = attempts_figure(
            endpoint
        )
    default = WaitPolicy()
    polling = {f"{d:g}": measure(default, d) for d in GOALS}
    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print("| figure | measured | goal | met |")
    print("|---|---|---|---|")
    results: dict[str, dict[str, Any]] = {}
    for name, value in figures.items():
        if name not in GOALS_TABLE:  # reported for reference, no goal
            results[name] = {"value": round(value, 3)}
            print(f"| {name} | {value:.3f}x | - | - |")
            continue
        goal = GOALS_TABLE[name]
        met = value == goal if name.startswith("HTTP attempts") else value <= goal
        results[name] = {"value": round(value, 3), "goal": goal, "met": met}
        unit = "" if "MiB" in name else "x"
        print(f"| {name} | {value:.3f}{unit} | <= {goal}{unit} | {'yes' if met else 'NO'} |")
    for duration, cost in polling.items():
        calls_goal, latency_goal = GOALS[float(duration)]
        met = cost.describes <= calls_goal and cost.latency <= latency_goal
        results[f"polling {duration} s"] = {
            "describes": round(cost.describes, 1),
            "latency_s": round(cost.latency, 2),
            "met": met,
        }
        print(
            f"| polling, {duration} s task | {cost.describes:.1f} calls, {cost.latency:.1f} s"
            f" | <= {calls_goal:g} calls, <= {latency_goal:g} s | {'yes' if met else 'NO'} |"
        )
    print(json.dumps({"bench": results, "rounds": ROUNDS, "calls": CALLS}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
