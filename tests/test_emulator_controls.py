"""Fault injection, the rate limit, the decorator, the pytest fixture and lazy imports."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from mypy_boto3_iot import IoTClient

from iot_detect_mitigation.testing import (
    DetectMitigationEmulator,
    ManualClock,
    mock_detect_mitigation,
)

ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _describe_status(iot: IoTClient, task_id: str = "nope") -> tuple[str, int]:
    """The error code and HTTP status a describe answers."""
    try:
        iot.describe_detect_mitigation_actions_task(taskId=task_id)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return "OK", 200


# Fault injection


def test_the_next_n_calls_fail_with_the_models_status(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    iot = boto3.client("iot", config=ONE_ATTEMPT)
    detect_mitigation_emulator.inject_fault(
        "DescribeDetectMitigationActionsTask", "InternalFailureException", count=2, message="boom"
    )
    assert [_describe_status(iot) for _ in range(3)] == [
        ("InternalFailureException", 500),
        ("InternalFailureException", 500),
        ("ResourceNotFoundException", 404),
    ]
    assert detect_mitigation_emulator.throttled_count == 2
    assert detect_mitigation_emulator.call_counts["DescribeDetectMitigationActionsTask"] == 3


def test_faults_apply_to_their_operation_only_and_can_be_cleared(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    iot = boto3.client("iot", config=ONE_ATTEMPT)
    detect_mitigation_emulator.inject_fault(
        "CancelDetectMitigationActionsTask", "ThrottlingException"
    )
    detect_mitigation_emulator.inject_fault("ListMitigationActions", "UnauthorizedException")
    assert _describe_status(iot) == ("ResourceNotFoundException", 404)
    with pytest.raises(iot.exceptions.UnauthorizedException) as caught:
        iot.list_mitigation_actions()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    detect_mitigation_emulator.clear_faults()
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.cancel_detect_mitigation_actions_task(taskId="nope")
    with pytest.raises(ValueError, match="negative"):
        detect_mitigation_emulator.inject_fault("ListMitigationActions", "ThrottlingException", -1)


def test_botocore_retries_injected_throttling(
    detect_mitigation_emulator: DetectMitigationEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
    iot = boto3.client("iot", config=Config(retries={"mode": "standard"}))
    detect_mitigation_emulator.inject_fault(
        "ListDetectMitigationActionsExecutions", "ThrottlingException", count=2
    )
    answer = iot.list_detect_mitigation_actions_executions(taskId="task-1")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert detect_mitigation_emulator.throttled_count == 2


# Rate limit


def test_the_rate_limit_throttles_per_operation_per_second(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    clock = ManualClock(T0)
    detect_mitigation_emulator.set_clock(clock)
    detect_mitigation_emulator.set_rate_limit(3)
    iot = boto3.client("iot", config=ONE_ATTEMPT)
    first_second = [_describe_status(iot)[0] for _ in range(5)]
    assert first_second == ["ResourceNotFoundException"] * 3 + ["ThrottlingException"] * 2
    assert iot.list_mitigation_actions()["actionIdentifiers"] == []  # its own budget
    clock.advance(0.5)
    assert _describe_status(iot) == ("ThrottlingException", 400)
    clock.advance(0.5)  # the first three requests leave the one-second window
    assert [_describe_status(iot)[0] for _ in range(4)] == (
        ["ResourceNotFoundException"] * 3 + ["ThrottlingException"]
    )
    assert detect_mitigation_emulator.throttled_count == 4
    detect_mitigation_emulator.set_rate_limit(None)
    assert {_describe_status(iot)[0] for _ in range(20)} == {"ResourceNotFoundException"}
    with pytest.raises(ValueError, match="at least 1"):
        detect_mitigation_emulator.set_rate_limit(0)


def test_aws_rate_of_ten_per_second_under_load(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    clock = ManualClock(T0)
    detect_mitigation_emulator.set_clock(clock)
    detect_mitigation_emulator.set_rate_limit(10)
    iot = boto3.client("iot", config=ONE_ATTEMPT)
    outcomes = []
    for _ in range(40):  # 40 requests spread over 2 seconds: 20 per second offered
        outcomes.append(_describe_status(iot)[0])
        clock.advance(0.05)
    assert outcomes.count("ThrottlingException") == 20
    assert detect_mitigation_emulator.throttled_count == 20


# The in-process mock


def test_the_context_manager_sets_and_restores_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    with mock_detect_mitigation(region_name="eu-central-1") as emulator:
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-central-1"
        assert emulator.region_name == "eu-central-1"
        boto3.client("iot").create_thing(thingName="here")
        emulator.add_violation("v-1", thing_name="here", security_profile_name="p",
                               behavior_name="b")  # fmt: skip
        assert "v-1" in DetectMitigationEmulator.for_region("eu-central-1").violations
        assert DetectMitigationEmulator.for_region("us-west-2").violations == {}
    assert os.environ["AWS_DEFAULT_REGION"] == "ap-south-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with mock_detect_mitigation() as emulator:
        assert emulator.region_name == "us-east-1"
    assert "AWS_DEFAULT_REGION" not in os.environ


@mock_detect_mitigation(region_name="eu-west-1")
def _decorated(thing_name: str) -> list[str]:
    emulator = DetectMitigationEmulator.for_region("eu-west-1")
    emulator.set_task_duration(describes=0)
    iot = boto3.client("iot")
    iot.create_thing(thingName=thing_name)
    iot.create_thing_group(thingGroupName="quarantine")
    iot.create_mitigation_action(
        actionName="q",
        roleArn="arn:aws:iam::123456789012:role/mitigation",
        actionParams={"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}},
    )
    emulator.add_violation("v-1", thing_name=thing_name, security_profile_name="p",
                           behavior_name="b")  # fmt: skip
    iot.start_detect_mitigation_actions_task(
        taskId="t", target={"violationIds": ["v-1"]}, actions=["q"], clientRequestToken="c"
    )
    return list(iot.list_things_in_thing_group(thingGroupName="quarantine")["things"])


def test_the_decorator_mocks_each_call_afresh() -> None:
    assert _decorated("cam-1") == ["cam-1"]
    assert _decorated("cam-2") == ["cam-2"]  # no TaskAlreadyExists: state was reset
    assert _decorated.__name__ == "_decorated"


def test_emulator_reset_clears_its_state_only(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    iot = boto3.client("iot")
    iot.create_thing(thingName="kept")
    detect_mitigation_emulator.add_violation("v-1", thing_name="kept", security_profile_name="p",
                                             behavior_name="b")  # fmt: skip
    detect_mitigation_emulator.set_rate_limit(1)
    detect_mitigation_emulator.reset()
    assert detect_mitigation_emulator.violations == {}
    assert {_describe_status(iot)[0] for _ in range(3)} == {"ResourceNotFoundException"}
    assert [t["thingName"] for t in iot.list_things()["things"]] == ["kept"]
    assert (
        repr(detect_mitigation_emulator) == "DetectMitigationEmulator('us-east-1', '123456789012')"
    )


# The pytest plugin


def test_the_fixture_fakes_credentials_and_region(
    detect_mitigation_emulator: DetectMitigationEmulator,
) -> None:
    assert detect_mitigation_emulator.region_name == os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_PROFILE" not in os.environ
    credentials = boto3.session.Session().get_credentials()
    assert credentials is not None
    assert credentials.access_key in ("testing", "FOOBARKEY")  # moto's mock sets its own


def test_the_plugin_works_in_a_fresh_pytest_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def detect_mitigation_region():
                return "sa-east-1"
            """
        )
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            import os
            import boto3

            def test_uses_the_fixture(detect_mitigation_emulator):
                assert os.environ["AWS_SECRET_ACCESS_KEY"] in ("testing", "FOOBARSECRET")
                assert detect_mitigation_emulator.region_name == "sa-east-1"
                iot = boto3.client("iot")
                assert iot.meta.region_name == "sa-east-1"
                assert iot.list_mitigation_actions()["actionIdentifiers"] == []
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "module",
    ["iot_detect_mitigation", "iot_detect_mitigation.testing.pytest_plugin"],
)
def test_importing_does_not_import_moto(module: str) -> None:
    code = f"import sys, {module}; assert 'moto' not in sys.modules, 'moto was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_modules_pytest_loads_early_reload_cleanly() -> None:
    """pytest imports these before coverage starts; reloading shows they have no side effects."""
    import iot_detect_mitigation.testing as testing
    from iot_detect_mitigation.testing import pytest_plugin

    assert importlib.reload(pytest_plugin).FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"] == "testing"
    assert importlib.reload(testing).__all__ == sorted(testing.__all__)


def test_the_testing_package_loads_names_lazily() -> None:
    import iot_detect_mitigation.testing as testing

    assert set(dir(testing)) >= {"mock_detect_mitigation", "EmulatorServer", "Violation"}
    assert all(getattr(testing, name) is not None for name in testing.__all__)
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = testing.missing


pytest_plugins = ["pytester"]
