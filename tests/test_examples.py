"""The examples, run against the emulator: Lambda handler, demo and doc snippets."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from examples import demo, quickstart, usage
from iot_detect_mitigation import (
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    TaskAlreadyExistsError,
    TaskFailedError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator

from .fake_time import FakeTime

EXAMPLES = Path(__file__).parent.parent / "examples"
ROLE = "arn:aws:iam::123456789012:role/mitigation"


class FakeContext:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def fleet(
    iot: Any,
    emulator: DetectMitigationEmulator,
    violations: dict[str, str],
    *,
    action: str = "quarantine",
    profile: str = "smart-lights-ml",
    behavior: str = "num-messages-sent-ml",
    at: datetime | None = None,
) -> None:
    """A quarantine group, an action filling it, and a violation per (violation id, thing)."""
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName=action,
        roleArn=ROLE,
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    for violation_id, thing in violations.items():
        iot.create_thing(thingName=thing)
        emulator.add_violation(
            violation_id,
            thing_name=thing,
            security_profile_name=profile,
            behavior_name=behavior,
            at=at or datetime.now(UTC) - timedelta(minutes=10),
        )


def quarantined(iot: Any) -> list[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName="quarantine")["things"])


@pytest.fixture
def iot(detect_mitigation_emulator: DetectMitigationEmulator) -> Any:
    return boto3.client("iot", region_name="us-east-1")


@pytest.fixture
def client(detect_mitigation_emulator: DetectMitigationEmulator, time: FakeTime) -> Any:
    return DetectMitigationClient(region_name="us-east-1", sleep=time.sleep, clock=time.clock)


# The Lambda handler


@pytest.fixture
def sample_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EXAMPLES / "sample_sns_event.json").read_text())
    return event


@pytest.fixture
def alarm(sample_event: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(sample_event["Records"][0]["Sns"]["Message"])
    return message


def with_message(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record = event["Records"][0]
    message = {**json.loads(record["Sns"]["Message"]), **changes}
    return {"Records": [{**record, "Sns": {**record["Sns"], "Message": json.dumps(message)}}]}


def test_the_lambda_handler_quarantines_the_thing_of_the_alarm(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    sample_event: dict[str, Any],
    alarm: dict[str, Any],
) -> None:
    from examples import lambda_handler  # builds its module-level client: needs the region

    fleet(
        iot,
        detect_mitigation_emulator,
        {alarm["violationId"]: alarm["thingName"], "unrelated-1": "light-001"},
        action=lambda_handler.ACTIONS[0],
    )
    result = lambda_handler.handler(sample_event, FakeContext(), client=client)

    assert result["outcome"] == "started"
    assert result["summary"]["taskStatus"] == "SUCCESSFUL"
    assert result["summary"]["target"] == {"violationIds": [alarm["violationId"]]}
    json.dumps(result)  # JSON-able, as Lambda needs
    assert list(detect_mitigation_emulator.tasks) == [f"alarm-{alarm['violationId']}"]
    assert quarantined(iot) == [alarm["thingName"]]


def test_a_redelivered_alarm_adopts_the_first_task(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    sample_event: dict[str, Any],
    alarm: dict[str, Any],
) -> None:
    from examples import lambda_handler

    fleet(iot, detect_mitigation_emulator, {alarm["violationId"]: alarm["thingName"]})
    first = lambda_handler.handler(sample_event, FakeContext(), client=client)
    again = lambda_handler.handler(sample_event, FakeContext(), client=client)

    assert (first["outcome"], again["outcome"]) == ("started", "already-started")
    assert again["summary"]["taskId"] == first["summary"]["taskId"]
    assert len(detect_mitigation_emulator.tasks) == 1
    assert detect_mitigation_emulator.call_counts["StartDetectMitigationActionsTask"] == 2


def test_a_task_id_taken_by_another_target_is_a_conflict(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    sample_event: dict[str, Any],
    alarm: dict[str, Any],
) -> None:
    from examples import lambda_handler

    fleet(iot, detect_mitigation_emulator, {alarm["violationId"]: alarm["thingName"]})
    client.start_task(
        task_id=lambda_handler.task_id_for(alarm["violationId"]),
        target=DetectMitigationActionsTaskTarget(security_profile_name="smart-lights-ml"),
        actions=["quarantine"],
    )
    with pytest.raises(TaskAlreadyExistsError):
        lambda_handler.handler(sample_event, FakeContext(), client=client)


def test_cleared_alarms_are_ignored(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    sample_event: dict[str, Any],
) -> None:
    from examples import lambda_handler

    event = with_message(sample_event, violationEventType="alarm-cleared")
    result = lambda_handler.handler(event, FakeContext(), client=client)

    assert (result["outcome"], result["summary"]) == ("ignored", None)
    assert detect_mitigation_emulator.call_counts.get("StartDetectMitigationActionsTask", 0) == 0


def test_a_failed_mitigation_fails_the_invocation(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    sample_event: dict[str, Any],
    alarm: dict[str, Any],
) -> None:
    from examples import lambda_handler

    fleet(iot, detect_mitigation_emulator, {alarm["violationId"]: alarm["thingName"]})
    detect_mitigation_emulator.fail_executions()
    with pytest.raises(TaskFailedError):
        lambda_handler.handler(sample_event, FakeContext(), client=client)


def test_task_ids_fit_the_limit() -> None:
    from examples.lambda_handler import task_id_for

    assert task_id_for("a" * 128) == task_id_for("a" * 128)
    assert len(task_id_for("a" * 128)) <= 128
    assert task_id_for("a" * 128) != task_id_for("a" * 127 + "b")


# The demo


class Terminal(io.StringIO):
    """What the demo writes to when a person watches it."""

    def isatty(self) -> bool:
        return True


def test_the_demo_shows_results_per_device_with_one_injected_failure() -> None:
    out = io.StringIO()

    assert demo.main([], sleep=lambda seconds: None, out=out) == 0

    text = out.getvalue()
    assert re.search(r"\| Status +\| FAILED +\|", text)
    devices = {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if line.startswith("| light-")
        and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 3
    }
    assert devices == {
        "light-007": ["quarantined", "-"],
        "light-013": ["quarantined", "-"],
        "light-021": ["FAILED", f"{demo.FAILURE_CODE}: {demo.FAILURE_MESSAGE}"],
        "light-042": ["quarantined", "-"],
        "light-099": ["left alone", "violated outside the window"],
    }
    assert "Things in thing group 'quarantine': light-007, light-013, light-042\n" in text
    assert text.endswith("left alone.\n")


def test_the_demo_without_a_failure_quarantines_every_recent_violator() -> None:
    out = io.StringIO()

    assert demo.main(["--no-fail"], sleep=lambda seconds: None, out=out) == 0

    text = out.getvalue()
    assert re.search(r"\| Status +\| SUCCESSFUL +\|", text)
    assert "light-007, light-013, light-021, light-042\n" in text
    assert "FAILED" not in text


def test_the_demo_writes_plain_lines_to_a_log() -> None:
    out = io.StringIO()  # not a terminal, as when make demo is piped or logged

    assert demo.main(["--no-fail"], sleep=lambda seconds: None, out=out) == 0

    text = out.getvalue()
    assert "\r" not in text
    progress = [line for line in text.splitlines() if line.startswith("[")]
    assert [line.split("  (")[0] for line in progress] == [
        "[IN_PROGRESS] executed 1/4, skipped 0, failed 0",
        "[IN_PROGRESS] executed 2/4, skipped 0, failed 0",
        "[IN_PROGRESS] executed 3/4, skipped 0, failed 0",
        "[SUCCESSFUL] executed 4/4, skipped 0, failed 0",
    ]
    assert text.split("\n+-", 1)[0].endswith("s)")  # the table starts on a line of its own


def test_the_demo_redraws_one_line_on_a_terminal() -> None:
    out = Terminal()

    assert demo.main(["--no-fail"], sleep=lambda seconds: None, out=out) == 0

    text = out.getvalue()
    drawn = text.split("Started task", 1)[1].split("\n")[1]  # the line after "Started task ..."
    assert drawn.count("\r") == 4
    assert drawn.startswith("\r[IN_PROGRESS] executed 1/4")
    assert drawn.rsplit("\r", 1)[1].startswith("[SUCCESSFUL] executed 4/4")
    assert "\n+-" in text  # the table starts below the progress line


def test_the_demo_names_the_failures_it_was_asked_for() -> None:
    out = io.StringIO()

    assert (
        demo.main(["--fail", "light-013", "--fail", "light-042"], sleep=lambda s: None, out=out)
        == 0
    )

    assert "Not mitigated, as injected: light-013, light-042.\n" in out.getvalue()
    assert "Things in thing group 'quarantine': light-007, light-021\n" in out.getvalue()


def test_the_demo_exits_1_when_the_outcome_is_not_what_it_expects() -> None:
    out = io.StringIO()

    # A thing that violated nothing cannot fail: the expected failure never shows.
    assert demo.main(["--fail", "light-404"], sleep=lambda seconds: None, out=out) == 1

    assert "FAILED: expected" in out.getvalue()


# The snippets of the docs


def test_the_quickstart(
    iot: Any, detect_mitigation_emulator: DetectMitigationEmulator, client: DetectMitigationClient
) -> None:
    fleet(iot, detect_mitigation_emulator, {"v-1": "light-001", "v-2": "light-002"})

    summary = quickstart.quarantine_last_hour(client, "quickstart")

    assert summary.task_status is DetectMitigationActionsTaskStatus.SUCCESSFUL
    assert quarantined(iot) == ["light-001", "light-002"]


def test_the_usage_snippets(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet(
        iot,
        detect_mitigation_emulator,
        {"v-1": "sensor-1", "v-2": "sensor-2"},
        profile="temperature",
        behavior="too-hot",
    )
    detect_mitigation_emulator.set_task_duration(describes=3)

    first = usage.start_and_describe(client)
    assert first.task_status is DetectMitigationActionsTaskStatus.IN_PROGRESS
    assert "executed so far" in capsys.readouterr().out
    final = usage.follow(client, "quarantine-hot-sensors")
    assert (final.task_status, final.task_statistics.actions_executed) == ("SUCCESSFUL", 2)
    assert capsys.readouterr().out.splitlines()[-1] == "SUCCESSFUL 2"
    assert usage.wait(client, "quarantine-hot-sensors").task_statistics.actions_executed == 2

    task_id = usage.start_on_violations(client, ["v-1"])
    assert usage.wait_without_raising(client, task_id).task_status == "SUCCESSFUL"

    assert usage.start_exactly_once(client, "7") == "incident-7"
    assert usage.start_exactly_once(client, "7") == "incident-7"  # a re-run: no second task
    assert sum(1 for t in detect_mitigation_emulator.tasks if t.startswith("incident-")) == 1

    detect_mitigation_emulator.set_concurrent_task_quota(0)
    assert usage.handle_errors(client, "busy").startswith("busy")
    detect_mitigation_emulator.set_concurrent_task_quota()
    assert usage.handle_errors(client, "incident-7").startswith("incident-7 is taken")
    detect_mitigation_emulator.inject_fault(
        "StartDetectMitigationActionsTask", "ThrottlingException", count=99
    )
    assert "ThrottlingException" in usage.handle_errors(client, "throttled")


def test_the_model_dump_snippet(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet(iot, detect_mitigation_emulator, {"violation-1": "pump-1"})

    python_names = usage.dump(client)

    assert list(detect_mitigation_emulator.tasks) == ["quarantine-pump-1"]  # boto3 took the dump
    printed = json.loads(capsys.readouterr().out)
    assert printed["taskId"] == python_names["task_id"] == "quarantine-pump-1"
    assert printed["target"] == {"violationIds": ["violation-1"]}
    assert "target" in python_names and "taskStatus" not in python_names


def test_the_incident_snippets(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    things = {f"v-{n}": f"sensor-{n}" for n in range(40)}
    fleet(iot, detect_mitigation_emulator, things, profile="temperature", behavior="too-hot")
    detect_mitigation_emulator.fail_executions(thing_names=["sensor-3"], error_code="Offline")
    assert usage.incident(client, [*things, "v-1", "v-2"]) == ["sensor-3"]
    assert "sensor-3 quarantine Offline" in capsys.readouterr().out

    detect_mitigation_emulator.set_task_duration(describes=3)
    task_id = usage.start_when_there_is_room(client)
    assert usage.failed_devices(client, task_id) == ["sensor-3"]
    assert "sensor-3: quarantine failed (Offline:" in capsys.readouterr().out

    detect_mitigation_emulator.set_task_duration(seconds=3600)
    running = usage.start_on_violations(client, ["v-3", "v-4"])
    assert usage.lifecycle(client, running) == []  # nothing has run yet; now it is canceled
    assert detect_mitigation_emulator.tasks[running].status == "CANCELED"
    assert running in capsys.readouterr().out


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("iot_detect_mitigation", "botocore")}
    handlers = list(root.handlers)
    yield
    root.handlers[:] = handlers
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_the_logging_snippet(restore_logging: None) -> None:
    usage.configure_logging()
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("iot_detect_mitigation").getEffectiveLevel() == logging.INFO


def test_the_client_construction_snippets(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    built = [
        usage.patient_client(),
        usage.build_client(),
        usage.quick_to_give_up_client(),
        usage.own_boto3_client(),
        usage.from_session(profile_name=None),
        usage.against_endpoint(),
    ]
    assert built[0].retry_policy.max_attempts == 8
    config = built[3].iot_client.meta.config
    assert config.retries["total_max_attempts"] == 1  # type: ignore[attr-defined]  # not in botocore-stubs
    assert built[5].iot_client.meta.endpoint_url == "http://127.0.0.1:5000"
    assert {client.iot_client.meta.region_name for client in built[:5]} == {"eu-west-1"}
    timeouts = vars(built[2].iot_client.meta.config)  # not in botocore-stubs' Config
    assert (timeouts["connect_timeout"], timeouts["read_timeout"]) == (2, 20)
