"""The ``iot-detect-mitigation`` command, run as a separate process against the emulator's server.

What it prints is compared with what the AWS CLI prints for the same answer, built the AWS CLI's
way: botocore with the AWS CLI's timestamp parser (``cli_timestamp_format = iso8601``), the answer
less ResponseMetadata, ``json.dumps(indent=4, ensure_ascii=False)`` (awscli/formatter.py).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.utils import parse_timestamp

from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer, ManualClock

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/mitigation"
COMMAND = [sys.executable, "-m", "iot_detect_mitigation"]
BOUND = 60  # seconds any one run may take before the test fails


@pytest.fixture
def emulator(server: EmulatorServer) -> DetectMitigationEmulator:
    """Instead of conftest's: a fresh account in REGION with a quarantine group and action, and
    two violating things; the server is conftest's."""
    server.reset()
    iot = boto3.client("iot", region_name=REGION, endpoint_url=server.endpoint_url)
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="quarantine",
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    emulator = server.emulator(REGION)
    emulator.set_task_duration(describes=1)  # a wait ends on its first poll, with no sleep
    for n, thing in enumerate(["pump-1", "pump-2"], start=1):
        iot.create_thing(thingName=thing)
        emulator.add_violation(
            f"violation-{n}",
            thing_name=thing,
            security_profile_name="pumps-ml",
            behavior_name="authorization-failures",
            at=datetime.now(UTC) - timedelta(minutes=10),
        )
    return emulator


def run(
    server: EmulatorServer, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, pointed at the emulator (options after the command)."""
    return subprocess.run(
        [*COMMAND, *args, "--region", REGION, "--endpoint-url", server.endpoint_url],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )


def aws_cli_prints(server: EmulatorServer, operation: str, **params: Any) -> str:
    """What ``aws iot <operation>`` prints for the same request, made as the AWS CLI makes it."""
    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=lambda value: parse_timestamp(value).isoformat()
    )
    iot = session.create_client("iot", region_name=REGION, endpoint_url=server.endpoint_url)
    answer = getattr(iot, operation)(**params)
    answer.pop("ResponseMetadata")
    return json.dumps(answer, indent=4, ensure_ascii=False) + "\n"


def start(server: EmulatorServer, task_id: str = "t1", *more: str) -> None:
    started = run(server, "start", "--task-id", task_id, "--security-profile", "pumps-ml",
                  "--action", "quarantine", *more)  # fmt: skip
    assert started.returncode == 0, started.stderr


# One program, two ways to run it, nothing added to the import


def test_the_console_script_and_python_m_run_the_same_function() -> None:
    (script,) = entry_points(group="console_scripts", name="iot-detect-mitigation")
    from iot_detect_mitigation import __main__ as module_main

    assert script.load() is module_main.main
    installed = Path(sys.executable).parent / "iot-detect-mitigation"
    by_script = subprocess.run(
        [installed, "--version"], capture_output=True, text=True, timeout=BOUND
    )
    by_module = subprocess.run(
        [*COMMAND, "--version"], capture_output=True, text=True, timeout=BOUND
    )
    assert by_script.returncode == by_module.returncode == 0
    assert by_script.stdout == by_module.stdout.replace("__main__.py", "iot-detect-mitigation")


def test_importing_the_library_does_not_import_the_command() -> None:
    command = ["iot_detect_mitigation._cli", "iot_detect_mitigation.__main__", "argparse"]
    probe = f"import sys, iot_detect_mitigation; print([m for m in {command} if m in sys.modules])"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=BOUND, check=True
    )
    assert imported.stdout.strip() == "[]"


def test_help_documents_every_exit_status() -> None:
    helped = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=BOUND)
    assert helped.returncode == 0
    for code in (0, 10, 11, 12, 130, 252, 253, 254, 255):
        assert re.search(rf"^\s+{code}\s+\w", helped.stdout, re.M), code
    for command in ("describe", "start", "wait", "executions", "cancel", "mitigate", "emulator"):
        assert command in helped.stdout


# describe


def test_describe_prints_what_the_aws_cli_prints(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)  # the same state for both describes
    start(server, "t1", "--since", "2h", "--only-active")
    described = run(server, "describe", "t1")

    assert described.returncode == 0, described.stderr
    assert described.stdout == aws_cli_prints(
        server, "describe_detect_mitigation_actions_task", taskId="t1"
    )
    summary = json.loads(described.stdout)["taskSummary"]
    assert summary["target"] == {"securityProfileName": "pumps-ml"}
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d", summary["taskStartTime"]
    )
    assert described.stderr == ""


def test_describe_prints_timestamps_in_the_machines_zone_as_the_aws_cli_does(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    start(
        server, "t1", "--start-time", "2026-11-22T08:00:00Z", "--end-time", "2026-11-22T09:30:00.5Z"
    )
    berlin = {**os.environ, "TZ": "Europe/Berlin"}

    described = run(server, "describe", "t1", env=berlin)

    window = json.loads(described.stdout)["taskSummary"]["violationEventOccurrenceRange"]
    assert window == {
        "startTime": "2026-11-22T09:00:00+01:00",
        "endTime": "2026-11-22T10:30:00.500000+01:00",
    }


def test_global_options_go_before_or_after_the_command(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server)
    before = subprocess.run(
        [*COMMAND, "--region", REGION, "--endpoint-url", server.endpoint_url, "describe", "t1"],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    after = run(server, "describe", "t1")
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout


def test_profile_selects_a_boto3_profile(
    server: EmulatorServer, emulator: DetectMitigationEmulator, tmp_path: Path
) -> None:
    start(server)
    config = tmp_path / "config"
    # An explicit profile takes its credentials from the files, not the environment.
    config.write_text(
        f"[profile incident]\nregion = {REGION}\n"
        "aws_access_key_id = AKIAFAKEPROFILE\naws_secret_access_key = fake-profile-secret\n"
    )
    env = {name: value for name, value in os.environ.items() if name != "AWS_DEFAULT_REGION"}
    env["AWS_CONFIG_FILE"] = str(config)
    by_profile = subprocess.run(
        [
            *COMMAND,
            "describe",
            "t1",
            "--profile",
            "incident",
            "--endpoint-url",
            server.endpoint_url,
        ],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
    )
    assert by_profile.returncode == 0, by_profile.stderr
    assert json.loads(by_profile.stdout)["taskSummary"]["taskId"] == "t1"


# start


def test_start_prints_the_task_id_as_the_aws_cli_does(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    started = run(server, "start", "--task-id", "incident-7", "--violation-id", "violation-1",
                  "--violation-id", "violation-2", "--action", "quarantine")  # fmt: skip

    assert started.returncode == 0, started.stderr
    assert started.stdout == '{\n    "taskId": "incident-7"\n}\n'
    task = emulator.tasks["incident-7"]
    assert task.target.violation_ids == ("violation-1", "violation-2")
    assert [action.name for action in task.actions] == ["quarantine"]


def test_start_passes_every_option_through(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    started = run(server, "start", "--task-id", "t1", "--security-profile", "pumps-ml",
                  "--behavior", "authorization-failures", "--action", "quarantine",
                  "--since", "1h30m", "--only-active", "--include-suppressed",
                  "--client-request-token", "token-1")  # fmt: skip

    assert started.returncode == 0, started.stderr
    summary = json.loads(run(server, "describe", "t1").stdout)["taskSummary"]
    assert summary["target"] == {
        "securityProfileName": "pumps-ml",
        "behaviorName": "authorization-failures",
    }
    window = summary["violationEventOccurrenceRange"]
    width = parse_timestamp(window["endTime"]) - parse_timestamp(window["startTime"])
    assert width == timedelta(minutes=90)
    assert summary["onlyActiveViolationsIncluded"] is True
    assert summary["suppressedAlertsIncluded"] is True
    assert emulator.tasks["t1"].client_request_token == "token-1"


def test_start_wait_prints_the_final_state(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    started = run(server, "start", "--task-id", "t1", "--security-profile", "pumps-ml",
                  "--action", "quarantine", "--wait", "--timeout", "30")  # fmt: skip

    assert started.returncode == 0, started.stderr
    assert started.stdout == aws_cli_prints(
        server, "describe_detect_mitigation_actions_task", taskId="t1"
    )
    assert json.loads(started.stdout)["taskSummary"]["taskStatus"] == "SUCCESSFUL"
    assert started.stderr == ""  # no progress: stderr is not a terminal


# Bad parameters: 252, before any call


START = ["start", "--task-id", "t", "--security-profile", "p", "--action", "q"]
MITIGATE = ["mitigate", "v-1", "--action", "q", "--task-id-prefix"]
DAY_1, DAY_2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
BAD_PARAMETERS = [
    (["describe", "bad id"], "TASK_ID: String should match pattern"),
    (["wait", "t" * 129], "TASK_ID: String should have at most 128 characters"),
    (["describe", "t1", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["start", "--task-id", "x y", "--security-profile", "p", "--action", "q"], "--task-id:"),
    (["start", "--task-id", "t", "--violation-id", "a_b", "--action", "q"], "--violation-id:"),
    (["start", "--task-id", "t", "--action", "q"], "needs --violation-id or --security-profile"),
    (
        ["start", "--task-id", "t", "--violation-id", "v", "--behavior", "b", "--action", "q"],
        "--behavior needs --security-profile",
    ),
    ([*START, *["--action", "q"] * 5], "--action: List should have at most 5 items"),
    (START[:-2], "the following arguments are required: --action"),
    ([*START, "--wait", "--timeout", "0"], "argument --timeout: must be a number of seconds"),
    ([*START, "--timeout", "5"], "--timeout needs --wait"),
    ([*START, "--since", "2x"], "is not a duration"),
    ([*START, "--since", "1000000d"], "reaches back before year 1"),
    ([*START, "--since", "99999999999999999999h"], "reaches back before year 1"),
    (["emulator", "--port", "99999"], "is not a port number from 0 to 65535"),
    (["emulator", "--port", "abc"], "is not a port number from 0 to 65535"),
    ([*START, "--since", "1h", "--start-time", DAY_1], "--since cannot be combined"),
    ([*START, "--start-time", DAY_1], "--start-time and --end-time go together"),
    (
        [*START, "--start-time", DAY_2, "--end-time", DAY_1],
        "--start-time must not be after --end-time",
    ),
    (
        [*START, "--start-time", DAY_1[:-1], "--end-time", DAY_2[:-1]],
        "--start-time: Input should have timezone info",
    ),
    ([*START, "--client-request-token", "a b"], "--client-request-token:"),
    (["executions", "t1", "--status", "DONE"], "argument --status: invalid choice: 'DONE'"),
    (["mitigate", "v_1", "--action", "q", "--task-id-prefix", "p"], "VIOLATION_ID: String"),
    ([*MITIGATE, "a b"], "--task-id-prefix must be"),
    ([*MITIGATE, "p", "--max-concurrent-tasks", "0"], "--max-concurrent-tasks must be at least 1"),
    (["mitigate", "-", "--action", "q", "--task-id-prefix", "p"], "no violation ids"),
]


def test_bad_parameters_exit_252_before_any_call(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    calls_before = dict(emulator.call_counts)
    where = ["--region", REGION, "--endpoint-url", server.endpoint_url]
    # All at once: each is a process of its own, and none of them waits on the network.
    running = [
        subprocess.Popen(
            [*COMMAND, *args, *where],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, _ in BAD_PARAMETERS
    ]
    for (args, says), process in zip(BAD_PARAMETERS, running, strict=True):
        out, err = process.communicate(timeout=BOUND)
        assert (process.returncode, out) == (252, ""), (args, err)
        assert says in err, (args, err)
    assert emulator.call_counts == calls_before


# Environment: 253


def test_no_region_exits_253(server: EmulatorServer, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if "REGION" not in name}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    refused = subprocess.run(
        [*COMMAND, "describe", "t1", "--endpoint-url", server.endpoint_url],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
    )
    assert refused.returncode == 253
    assert "region" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stdout == ""


def test_the_region_may_come_from_aws_region_as_in_the_aws_cli(
    server: EmulatorServer, tmp_path: Path
) -> None:
    env = {name: value for name, value in os.environ.items() if "REGION" not in name}
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_REGION": REGION}
    answered = subprocess.run(
        [*COMMAND, "describe", "no-such-task", "--endpoint-url", server.endpoint_url],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
    )
    assert answered.returncode == 254, answered.stderr  # AWS's answer, not "no region"
    assert "ResourceNotFoundException" in answered.stderr


def test_an_unknown_profile_exits_253(server: EmulatorServer, tmp_path: Path) -> None:
    env = {**os.environ, "AWS_CONFIG_FILE": str(tmp_path / "none")}
    refused = run(server, "describe", "t1", "--profile", "nope", env=env)
    assert refused.returncode == 253
    assert "nope" in refused.stderr


def test_no_credentials_exits_253(server: EmulatorServer, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env |= {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    refused = run(server, "describe", "t1", env=env)
    assert refused.returncode == 253, refused.stderr
    assert "credentials" in refused.stderr


# AWS's answers: 254, and what else can go wrong: 255


def test_an_error_answer_from_aws_exits_254(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    answered = run(server, "describe", "no-such-task")
    assert answered.returncode == 254
    assert "ResourceNotFoundException" in answered.stderr
    assert answered.stdout == ""


def test_a_task_id_taken_exits_254_and_starts_nothing_more(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    start(server, "t1")
    again = run(server, "start", "--task-id", "t1", "--violation-id", "violation-1",
                "--action", "quarantine")  # fmt: skip
    assert again.returncode == 254
    assert "TaskAlreadyExistsException" in again.stderr
    assert list(emulator.tasks) == ["t1"]


class NotAws(BaseHTTPRequestHandler):
    """Answers every request with 200 and a body that is not JSON, as a captive portal might."""

    def do_GET(self) -> None:
        body = b"<html>welcome to the hotel wifi</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_answer_that_is_not_aws_exits_255() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), NotAws) as not_aws:
        threading.Thread(target=not_aws.serve_forever, daemon=True).start()
        try:
            failed = subprocess.run(
                [*COMMAND, "describe", "t1", "--region", REGION,
                 "--endpoint-url", f"http://127.0.0.1:{not_aws.server_address[1]}"],
                capture_output=True, text=True, timeout=BOUND,
            )  # fmt: skip
        finally:
            not_aws.shutdown()
    assert failed.returncode == 255, failed.stderr
    assert "cannot" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert failed.stdout == ""


# wait: 0, 10, 11, 12, 130


def test_wait_prints_the_final_state(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    start(server)
    waited = run(server, "wait", "t1", "--timeout", "30")

    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == aws_cli_prints(
        server, "describe_detect_mitigation_actions_task", taskId="t1"
    )


def test_a_failed_task_exits_10_with_its_final_state(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.fail_executions(thing_names=["pump-2"])
    start(server)
    waited = run(server, "wait", "t1", "--timeout", "30")

    assert waited.returncode == 10
    summary = json.loads(waited.stdout)["taskSummary"]
    assert (summary["taskStatus"], summary["taskStatistics"]["actionsFailed"]) == ("FAILED", 1)
    assert "FAILED" in waited.stderr


def test_a_canceled_task_exits_11(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server)
    iot = boto3.client("iot", region_name=REGION, endpoint_url=server.endpoint_url)
    iot.cancel_detect_mitigation_actions_task(taskId="t1")

    waited = run(server, "wait", "t1", "--timeout", "30")

    assert waited.returncode == 11
    assert json.loads(waited.stdout)["taskSummary"]["taskStatus"] == "CANCELED"


def test_a_wait_that_times_out_exits_12_with_the_last_state_seen(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server)
    waited = run(server, "wait", "t1", "--timeout", "1")

    assert waited.returncode == 12
    assert json.loads(waited.stdout)["taskSummary"]["taskStatus"] == "IN_PROGRESS"
    assert emulator.tasks["t1"].status == "IN_PROGRESS"  # the task goes on


def read_until(fd: int, pattern: bytes, seen: bytearray) -> None:
    """Read a pseudo-terminal until ``pattern`` shows, within ``BOUND`` seconds."""
    deadline = time.monotonic() + BOUND
    while pattern not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{pattern!r} never came; got {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the other end closed
                break


def wait_on_a_terminal(
    server: EmulatorServer, until: bytes, *, interrupt: bool = False
) -> tuple[int, str, bytes]:
    """``wait t1`` with stderr on a pseudo-terminal: its status, stdout, and what stderr drew.

    Reads stderr until ``until`` shows; then sends SIGINT if ``interrupt``.
    """
    terminal, other_end = pty.openpty()
    try:
        waiting = subprocess.Popen(
            [*COMMAND, "wait", "t1", "--region", REGION, "--endpoint-url", server.endpoint_url],
            stdout=subprocess.PIPE,
            stderr=other_end,
            text=True,
        )
        os.close(other_end)
        drawn = bytearray()
        read_until(terminal, until, drawn)
        if interrupt:
            waiting.send_signal(signal.SIGINT)
        out, _ = waiting.communicate(timeout=BOUND)
    finally:
        os.close(terminal)
    return waiting.returncode, out, bytes(drawn)


def test_progress_is_drawn_on_stderr_only_when_it_is_a_terminal(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=3)
    start(server)

    status, out, drawn = wait_on_a_terminal(server, until=b"SUCCESSFUL")

    assert status == 0
    assert b"\rt1: IN_PROGRESS, executed 1, skipped 0, failed 0" in drawn
    assert b"\rt1: SUCCESSFUL, executed 2, skipped 0, failed 0" in drawn
    assert json.loads(out)["taskSummary"]["taskStatus"] == "SUCCESSFUL"  # stdout: JSON only
    # Not a terminal, it draws nothing: test_start_wait_prints_the_final_state checks that.


def test_an_interrupted_wait_exits_130(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server)

    status, out, _ = wait_on_a_terminal(server, until=b"IN_PROGRESS", interrupt=True)

    assert status == 130
    assert out == ""


# emulator


def test_the_emulator_command_serves_the_api() -> None:
    serving = subprocess.Popen(
        [*COMMAND, "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serving.stdout is not None
        endpoint = re.search(r"http://127\.0\.0\.1:\d+", serving.stdout.readline())
        assert endpoint is not None
        answered = subprocess.run(
            [*COMMAND, "describe", "t1", "--region", REGION, "--endpoint-url", endpoint[0]],
            capture_output=True, text=True, timeout=BOUND,
        )  # fmt: skip
    finally:
        serving.send_signal(signal.SIGINT)
        serving.wait(timeout=BOUND)
    assert answered.returncode == 254
    assert "ResourceNotFoundException" in answered.stderr


def test_the_emulator_command_without_the_testing_extra_exits_253(tmp_path: Path) -> None:
    (tmp_path / "moto").mkdir()
    (tmp_path / "moto" / "__init__.py").write_text("raise ImportError('No module named moto')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    refused = subprocess.run(
        [*COMMAND, "emulator", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
    )
    assert refused.returncode == 253
    assert "pip install 'iot-detect-mitigation[testing]'" in refused.stderr


# executions, cancel, start --capacity-timeout, mitigate


def test_executions_prints_what_the_aws_cli_prints_with_every_page(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.fail_executions(thing_names=["pump-2"], error_code="Offline")
    start(server, "t1")
    assert run(server, "wait", "t1").returncode == 10  # FAILED: pump-2 was not mitigated
    listed = run(server, "executions", "t1")

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == aws_cli_prints(
        server, "list_detect_mitigation_actions_executions", taskId="t1"
    )
    executions = json.loads(listed.stdout)["actionsExecutions"]
    assert sorted(e["thingName"] for e in executions) == ["pump-1", "pump-2"]

    failed = json.loads(run(server, "executions", "t1", "--status", "FAILED").stdout)
    assert [(e["thingName"], e["errorCode"]) for e in failed["actionsExecutions"]] == [
        ("pump-2", "Offline")
    ]


def test_what_the_real_aws_cli_prints_is_what_the_command_prints(
    server: EmulatorServer, emulator: DetectMitigationEmulator, aws_cli: Path, tmp_path: Path
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server, "t1", "--since", "2h")
    config = tmp_path / "config"
    config.write_text("[default]\ncli_timestamp_format = iso8601\n")  # AWS CLI v2's default
    env = {**os.environ, "AWS_CONFIG_FILE": str(config)}
    for ours, theirs in [
        (["describe", "t1"], ["describe-detect-mitigation-actions-task", "--task-id", "t1"]),
        (
            ["executions", "t1"],
            ["list-detect-mitigation-actions-executions", "--task-id", "t1", "--page-size", "1"],
        ),
    ]:
        where = ["--region", REGION, "--endpoint-url", server.endpoint_url]
        aws = subprocess.run(
            [str(aws_cli), "iot", *theirs, *where],
            capture_output=True, text=True, timeout=BOUND, env=env, check=True,
        )  # fmt: skip
        assert run(server, *ours, env=env).stdout == aws.stdout


def test_cancel_cancels_and_prints_nothing(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.set_task_duration(describes=1000)
    start(server)

    canceled = run(server, "cancel", "t1")

    assert (canceled.returncode, canceled.stdout) == (0, "")
    assert emulator.tasks["t1"].status == "CANCELED"
    again = run(server, "cancel", "t1")  # AWS refuses to cancel a task that has ended
    assert again.returncode == 254
    assert "InvalidRequestException" in again.stderr


def test_start_waits_for_capacity_only_when_asked(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    clock = ManualClock(datetime.now(UTC))
    emulator.set_clock(clock)
    emulator.set_concurrent_task_quota(1)
    emulator.set_task_duration(seconds=60)  # of the manual clock: until the test advances it
    start(server, "t0")
    second = ["start", "--task-id", "t1", "--violation-id", "violation-1", "--action", "quarantine"]

    refused = run(server, *second)
    assert refused.returncode == 254
    assert "LimitExceededException" in refused.stderr

    starts = emulator.call_counts["StartDetectMitigationActionsTask"]
    where = ["--region", REGION, "--endpoint-url", server.endpoint_url]
    waiting = subprocess.Popen(
        [*COMMAND, *second, "--capacity-timeout", "60", *where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + BOUND
    while emulator.call_counts["StartDetectMitigationActionsTask"] == starts:  # not refused yet
        assert time.monotonic() < deadline and waiting.poll() is None
        time.sleep(0.05)
    clock.advance(minutes=1)  # t0 ends: a slot is free
    out, err = waiting.communicate(timeout=BOUND)

    assert waiting.returncode == 0, err
    assert json.loads(out) == {"taskId": "t1"}


def mitigate(
    server: EmulatorServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "mitigate", *args, "--region", REGION, "--endpoint-url", server.endpoint_url],
        input=stdin, capture_output=True, text=True, timeout=BOUND, check=False,
    )  # fmt: skip


def test_mitigate_reads_ids_from_arguments_and_stdin_and_is_safe_to_run_twice(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    args = ["violation-1", "-", "--action", "quarantine", "--task-id-prefix", "incident-7"]

    first = mitigate(server, *args, stdin="violation-2\n\nviolation-1\n")
    again = mitigate(server, *args, stdin="violation-2\n")

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    result = json.loads(first.stdout)
    (task,) = result["tasks"]
    assert task["taskId"].startswith("incident-7-")
    assert sorted(task["target"]["violationIds"]) == ["violation-1", "violation-2"]
    assert {e["status"] for e in result["executions"]} == {"SUCCESSFUL"}
    assert list(emulator.tasks) == [task["taskId"]]  # the second run adopted it


def test_mitigate_exits_10_and_names_what_failed(
    server: EmulatorServer, emulator: DetectMitigationEmulator
) -> None:
    emulator.fail_executions(thing_names=["pump-1"], error_code="Offline")

    failed = mitigate(server, "violation-1", "violation-2", "--action", "quarantine",
                      "--task-id-prefix", "incident-8")  # fmt: skip

    assert failed.returncode == 10
    executions = json.loads(failed.stdout)["executions"]
    assert [(e["thingName"], e["errorCode"]) for e in executions if e["status"] == "FAILED"] == [
        ("pump-1", "Offline")
    ]


def test_the_emulator_command_has_the_emulators_own_options() -> None:
    helped = subprocess.run(
        [*COMMAND, "emulator", "--help"], capture_output=True, text=True, timeout=BOUND
    )
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: iot-detect-mitigation emulator")
    assert "--verbose" in helped.stdout and "--port" in helped.stdout


# The docs page and the runbook


def test_the_docs_page_lists_the_exit_statuses_of_the_command() -> None:
    from iot_detect_mitigation._cli import EXIT_STATUSES

    page = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", page, re.M))
    assert {int(code): meaning for code, meaning in rows.items()} == dict(EXIT_STATUSES)


RUNBOOK = Path(__file__).parent.parent / "examples" / "runbook.sh"


def run_runbook(server: EmulatorServer, result: Path) -> subprocess.CompletedProcess[str]:
    """examples/runbook.sh as an operator runs it: the command on PATH, AWS_* in the env."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "RESULT_FILE": str(result),
    }
    return subprocess.run(
        ["bash", str(RUNBOOK), "pumps-ml", "authorization-failures", "2h"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )


def test_the_runbook_quarantines_and_is_safe_to_run_twice(
    server: EmulatorServer, emulator: DetectMitigationEmulator, tmp_path: Path
) -> None:
    first = run_runbook(server, tmp_path / "first.json")
    again = run_runbook(server, tmp_path / "again.json")

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "every violating thing is in quarantine" in first.stderr
    (task,) = emulator.tasks.values()  # the second run waited for the first run's task
    assert task.task_id.startswith("runbook-pumps-ml-authorization-failures-")
    summary = json.loads((tmp_path / "first.json").read_text())["taskSummary"]
    assert (summary["taskStatus"], summary["taskStatistics"]["actionsExecuted"]) == (
        "SUCCESSFUL",
        2,
    )
    iot = boto3.client("iot", region_name=REGION, endpoint_url=server.endpoint_url)
    quarantined = iot.list_things_in_thing_group(thingGroupName="quarantine")["things"]
    assert sorted(quarantined) == ["pump-1", "pump-2"]


def test_the_runbook_exits_10_when_a_mitigation_fails(
    server: EmulatorServer, emulator: DetectMitigationEmulator, tmp_path: Path
) -> None:
    emulator.fail_executions(thing_names=["pump-1"])

    failed = run_runbook(server, tmp_path / "result.json")

    assert failed.returncode == 10
    assert "some mitigations FAILED" in failed.stderr
    assert (
        json.loads((tmp_path / "result.json").read_text())["taskSummary"]["taskStatus"] == "FAILED"
    )
