"""The emulator driven by the AWS CLI, as a shell script or another language's test would.

`make test` installs the AWS CLI (v1) into a venv of its own and names it in
IOT_DETECT_MITIGATION_AWS_CLI; without that, an `aws` on PATH is used, or these tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from .emulator_process import EmulatorProcess, emulator_process

ROOT = Path(__file__).resolve().parent.parent
SESSION = ROOT / "examples" / "emulator_session.sh"
SERVICE_ERROR = (254, 255)
"""The exit status for an error answer: 254 from AWS CLI v2, 255 from v1."""


@pytest.fixture(scope="module")
def shell_environment(aws_cli: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """This venv's python first on PATH, then the AWS CLI; fake credentials; no ~/.aws."""
    path = os.pathsep.join([str(Path(sys.executable).parent), str(aws_cli.parent), os.defpath])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **environment,
        "PATH": path,
        "HOME": str(tmp_path_factory.mktemp("home")),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_the_documented_shell_session(shell_environment: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the session uses curl")
    done = subprocess.run(
        ["bash", str(SESSION)],
        cwd=tmp_path,
        env=shell_environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0])["violations"][0]["violationId"] == "violation-1"
    assert "task-1: SUCCESSFUL" in lines
    assert "pump-1" in lines  # list-things-in-thing-group
    state = json.loads(lines[-2])
    assert [(task["taskId"], task["taskStatus"]) for task in state["tasks"]] == [
        ("task-1", "SUCCESSFUL")
    ]
    assert lines[-1] == "{}"  # reset
    assert "Stopped" in done.stderr  # the trap stopped the server


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorProcess]:
    with emulator_process() as running:
        yield running


@pytest.fixture
def aws(aws_cli: Path, shell_environment: dict[str, str], server: EmulatorProcess) -> Any:
    """Run `aws iot ...` against the server; (exit status, parsed stdout or None, stderr)."""
    assert server.request("POST", "/moto-api/reset")[0] == 200

    def run(*args: str) -> tuple[int, Any, str]:
        done = subprocess.run(
            [str(aws_cli), "iot", *args, "--endpoint-url", server.url],
            env=shell_environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr

    return run


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--task-id", "task-1", "--start-time", "2026-01-01T00:00:00Z", "--end-time", "2026-01-02"],
        ["--start-time", "2026-01-01T00:00:00Z"],
    ],
    ids=["neither", "both", "half a range"],
)
def test_listing_executions_needs_a_task_or_a_range(aws: Any, arguments: list[str]) -> None:
    status, _, errors = aws("list-detect-mitigation-actions-executions", *arguments)
    assert status in SERVICE_ERROR
    assert "InvalidRequestException" in errors


def test_listing_executions_in_a_time_range(aws: Any) -> None:
    status, answer, errors = aws(
        "list-detect-mitigation-actions-executions",
        "--start-time", "2026-01-01T00:00:00Z",
        "--end-time", "2026-01-02T00:00:00.500Z",
    )  # fmt: skip
    assert (status, answer) == (0, {"actionsExecutions": []}), errors


def test_an_empty_action_name_is_an_invalid_request(aws: Any) -> None:
    status, _, errors = aws("describe-mitigation-action", "--action-name", "")
    assert status in SERVICE_ERROR
    assert "InvalidRequestException" in errors
    assert "actionName" in errors


def test_the_cli_follows_page_tokens(aws: Any, server: EmulatorProcess) -> None:
    iot = boto3.client(
        "iot",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for number in range(12):
        iot.create_mitigation_action(
            actionName=f"action-{number:02}",
            roleArn="arn:aws:iam::123456789012:role/mitigation",
            actionParams={"updateCACertificateParams": {"action": "DEACTIVATE"}},
        )
    status, answer, errors = aws("list-mitigation-actions", "--page-size", "5")
    assert status == 0, errors
    names = [action["actionName"] for action in answer["actionIdentifiers"]]
    assert names == [f"action-{number:02}" for number in range(12)]
    state = server.request("GET", "/_emulator/state")[1]
    assert state["callCounts"]["ListMitigationActions"] == 3  # pages of 5, 5 and 2
