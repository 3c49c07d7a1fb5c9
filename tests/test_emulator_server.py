"""The emulator over HTTP: EmulatorServer, `python -m iot_detect_mitigation.testing`, threads."""

from __future__ import annotations

import errno
import json
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from mypy_boto3_iot import IoTClient

from iot_detect_mitigation.testing import EmulatorServer, ManualClock
from iot_detect_mitigation.testing import __main__ as cli
from iot_detect_mitigation.testing._server import endpoint_url

REGION = "us-west-2"
ROLE = "arn:aws:iam::123456789012:role/mitigation"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[Callable[[], IoTClient]]:
    """Makes clients on the server (one per thread: clients are made on a fresh session)."""
    server.reset()

    def make() -> IoTClient:
        return boto3.session.Session().client(
            "iot",
            region_name=REGION,
            endpoint_url=server.endpoint_url,
            config=Config(retries={"total_max_attempts": 1}),
        )

    yield make
    server.reset()


def _setup(iot: IoTClient) -> None:
    iot.create_thing(thingName="cam-1")
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )


def _start(iot: IoTClient, task_id: str) -> None:
    iot.start_detect_mitigation_actions_task(
        taskId=task_id,
        target={"securityProfileName": "cams"},
        actions=["quarantine"],
        clientRequestToken=f"token-{task_id}",
    )


def test_a_client_waiting_on_the_server_sees_the_quarantine(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    iot = client()
    _setup(iot)
    server.emulator(REGION).add_violation(
        "v-1", thing_name="cam-1", security_profile_name="cams", behavior_name="bytes-out"
    )
    _start(iot, "task-1")
    statuses: list[str] = []
    while not statuses or statuses[-1] == "IN_PROGRESS":
        summary = iot.describe_detect_mitigation_actions_task(taskId="task-1")["taskSummary"]
        statuses.append(summary["taskStatus"])
        assert len(statuses) < 10
    assert statuses == ["IN_PROGRESS", "SUCCESSFUL"]
    assert iot.list_things_in_thing_group(thingGroupName="quarantine")["things"] == ["cam-1"]


def test_faults_injected_through_the_handle_reach_http_clients(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    iot = client()
    _setup(iot)
    server.emulator(REGION).inject_fault("StartDetectMitigationActionsTask", "ThrottlingException")
    with pytest.raises(iot.exceptions.ThrottlingException):
        _start(iot, "task-1")
    _start(iot, "task-1")
    assert server.emulator(REGION).throttled_count == 1
    # Other regions have their own state.
    assert server.emulator("eu-west-1").tasks == {}


def test_server_lifecycle_errors() -> None:
    server = EmulatorServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.endpoint_url
    with server:
        assert server.endpoint_url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    server.stop()  # stopping twice is harmless


# Thread safety


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _yielding_clock() -> datetime:
    """A fixed time that lets other threads run first (sleep(0) only releases the GIL)."""
    time.sleep(0)
    return datetime(2026, 1, 1, tzinfo=UTC)


def test_concurrent_starts_never_exceed_the_quota(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    _setup(client())
    emulator = server.emulator(REGION)
    emulator.set_task_duration(describes=100)
    emulator.set_clock(_yielding_clock)  # widens any window between checking and starting
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def start_three(number: int) -> None:
        iot = client()
        for attempt in range(3):
            try:
                _start(iot, f"task-{number}-{attempt}")
                outcome = "started"
            except ClientError as error:
                outcome = error.response["Error"]["Code"]
            with lock:
                outcomes[outcome] += 1

    _in_threads(12, start_three)
    assert outcomes == {"started": 5, "LimitExceededException": 31}
    assert len(emulator.tasks) == 5


def test_the_rate_limit_holds_under_concurrency(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    emulator = server.emulator(REGION)
    emulator.set_clock(_yielding_clock)  # one frozen second
    emulator.set_rate_limit(10)
    codes: Counter[str] = Counter()
    lock = threading.Lock()

    def describe(_: int) -> None:
        iot = client()
        for _ in range(5):
            try:
                iot.describe_detect_mitigation_actions_task(taskId="nope")
            except ClientError as error:
                with lock:
                    codes[error.response["Error"]["Code"]] += 1

    _in_threads(8, describe)
    assert codes == {"ResourceNotFoundException": 10, "ThrottlingException": 30}
    assert emulator.throttled_count == 30


def test_handle_and_http_clients_hammer_the_state_together(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    _setup(client())
    emulator = server.emulator(REGION)
    emulator.set_concurrent_task_quota(1000)
    emulator.set_task_duration(describes=1)
    emulator.set_clock(_yielding_clock)

    def work(number: int) -> None:
        iot = client()
        for step in range(10):
            emulator.add_violation(f"v-{number}-{step}", thing_name="cam-1",
                                   security_profile_name="cams", behavior_name="b")  # fmt: skip
            task_id = f"task-{number}-{step}"
            _start(iot, task_id)
            iot.describe_detect_mitigation_actions_task(taskId=task_id)
            _ = emulator.tasks

    _in_threads(6, work)
    tasks = emulator.tasks
    assert len(tasks) == 60
    assert {task.status for task in tasks.values()} == {"SUCCESSFUL"}
    assert len(emulator.violations) == 60
    for task_id, task in tasks.items():
        executions = emulator.executions(task_id)
        assert task.statistics.actions_executed == len(executions) <= 60
        # Its own thread seeded v-N-S just before starting task-N-S: the task must act on it.
        assert task_id.replace("task", "v") in {e.violation_id for e in executions}


# python -m iot_detect_mitigation.testing, in this process (tests/test_emulator_process.py runs it)


def test_main_prints_the_url_first_and_stops_on_sigterm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers: dict[int, object] = {}
    monkeypatch.setattr("signal.signal", lambda number, handler: handlers.update({number: handler}))

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_wait_forever", interrupted)
    assert cli.main(["--port", "0"]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", out)
    assert err.splitlines()[-1] == "Stopped"
    with pytest.raises(KeyboardInterrupt):
        cli._interrupt(signal.SIGTERM, None)
    assert handlers == {signal.SIGTERM: cli._interrupt}


def test_a_busy_port_fails_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"127.0.0.1:{port}") as caught:
            EmulatorServer(port=port).start()
        assert caught.value.errno == errno.EADDRINUSE
        assert cli.main(["--port", str(port)], prog="iot-detect-mitigation emulator") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"iot-detect-mitigation emulator: cannot listen on http://127.0.0.1:{port}: "
        "Address already in use (choose another --port, or 0 for a free one)\n"
    )


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:5000"),
        ("localhost", "http://localhost:5000"),
        ("::1", "http://[::1]:5000"),
    ],
)
def test_ipv6_hosts_get_brackets_botocore_accepts(host: str, url: str) -> None:
    """No server listens here: the tests use 127.0.0.1 only."""
    assert endpoint_url(host, 5000) == url
    iot = boto3.client("iot", region_name=REGION, endpoint_url=url)
    assert iot.meta.endpoint_url == url


def test_botocore_rejects_an_ipv6_url_without_brackets() -> None:
    with pytest.raises(ValueError, match="Invalid endpoint"):
        boto3.client("iot", region_name=REGION, endpoint_url="http://::1:5000")


# Clients other than botocore


def _raw(
    server: EmulatorServer, method: str, path: str, body: object = None, region: str = REGION
) -> tuple[int, Any]:
    """Send a request as any HTTP client might.

    moto reads the service and region from the credential scope and checks no signature.
    """
    request = urllib.request.Request(
        server.endpoint_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 "
            f"Credential=AKIA/20260101/{region}/iot/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/detect/mitigationactions/tasks/t1", "not an object"),
        ("PUT", "/detect/mitigationactions/tasks/t1", {"target": "x", "actions": ["q"]}),
        (
            "PUT",
            "/detect/mitigationactions/tasks/t1",
            {"target": {"violationIds": [1]}, "actions": "q", "clientRequestToken": "c"},
        ),
        (
            "PUT",
            "/detect/mitigationactions/tasks/t1",
            {
                "target": {"violationIds": ["v-1"]},
                "actions": ["q"],
                "clientRequestToken": "c",
                "includeSuppressedAlerts": 1,
                "violationEventOccurrenceRange": {"startTime": "yesterday", "endTime": 0},
            },
        ),
        (
            "POST",
            "/mitigationactions/actions/a",
            {"roleArn": ["not", "a", "string"], "actionParams": {}},
        ),
        ("GET", "/detect/mitigationactions/tasks?startTime=soon&endTime=later", None),
        ("GET", "/detect/mitigationactions/executions?maxResults=many", None),
    ],
)
def test_malformed_json_from_any_client_is_an_invalid_request(
    server: EmulatorServer,
    client: Callable[[], IoTClient],
    method: str,
    path: str,
    body: object,
) -> None:
    status, answer = _raw(server, method, path, body)
    assert (status, answer["__type"]) == (400, "InvalidRequestException"), answer


def test_a_raw_client_gets_epoch_timestamps(
    server: EmulatorServer, client: Callable[[], IoTClient]
) -> None:
    _setup(client())
    server.emulator(REGION).set_clock(ManualClock(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)))
    body = {
        "target": {"violationIds": ["v-1"]},
        "actions": ["quarantine"],
        "clientRequestToken": "c",
    }
    assert _raw(server, "PUT", "/detect/mitigationactions/tasks/raw-1", body) == (
        200,
        {"taskId": "raw-1"},
    )
    status, answer = _raw(server, "GET", "/detect/mitigationactions/tasks/raw-1")
    assert status == 200
    assert answer["taskSummary"]["taskStartTime"] == 1767225601
