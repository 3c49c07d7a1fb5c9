"""Shared fixtures. No test reaches AWS: credentials are fake and moto guards the network."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings

from iot_detect_mitigation.testing import DetectMitigationEmulator, EmulatorServer

from .fake_time import FakeTime
from .fleet import quarantine_action
from .proxy import FaultProxy, fault_proxy

settings.register_profile(
    "default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-key-do-not-leak")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "fake-session-token-do-not-leak")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


# The emulator over real loopback HTTP, for the modules that test the client against it.


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def iot(server: EmulatorServer) -> Any:
    """A boto3 client on a fresh emulator with a "quarantine" group and the action that fills it."""
    server.reset()
    iot = boto3.client("iot", region_name="us-east-1", endpoint_url=server.endpoint_url)
    quarantine_action(iot)
    return iot


@pytest.fixture
def emulator(server: EmulatorServer, iot: Any) -> DetectMitigationEmulator:
    return server.emulator("us-east-1")


@pytest.fixture
def sensor(iot: Any, emulator: DetectMitigationEmulator) -> str:
    """One thing, "sensor", with one violation, "v-1", of profile "p" and behavior "b"."""
    iot.create_thing(thingName="sensor")
    emulator.add_violation("v-1", thing_name="sensor", security_profile_name="p", behavior_name="b")
    return "v-1"


@pytest.fixture
def proxy(server: EmulatorServer) -> Iterator[tuple[FaultProxy, str]]:
    """A misbehaving proxy in front of the server, and its endpoint."""
    with fault_proxy(server.endpoint_url) as running:
        yield running


AWS_CLI_VARIABLE = "IOT_DETECT_MITIGATION_AWS_CLI"


@pytest.fixture(scope="session")
def aws_cli() -> Path:
    """The AWS CLI (v1): `make test` installs it and names it in IOT_DETECT_MITIGATION_AWS_CLI;
    without that, .venv-awscli or an `aws` on PATH is used, or the test skips."""
    named = os.environ.get(AWS_CLI_VARIABLE)
    if named:
        assert Path(named).is_file(), f"{AWS_CLI_VARIABLE}={named} does not exist"
        return Path(named)
    found = Path(__file__).resolve().parent.parent / ".venv-awscli" / "bin" / "aws"
    if found.is_file():
        return found
    on_path = shutil.which("aws")
    if on_path is None:
        pytest.skip(f"no AWS CLI: run `make test`, or set {AWS_CLI_VARIABLE}")
    return Path(on_path)
