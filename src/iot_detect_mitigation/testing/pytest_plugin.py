"""pytest plugin (entry point pytest11): the `detect_mitigation_emulator` fixture.

pytest loads this in every run where the package is installed, so it imports moto only inside
the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._emulator import DetectMitigationEmulator

FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@pytest.fixture
def detect_mitigation_region() -> str:
    """The region the emulator fixture mocks; override this fixture to change it."""
    return "us-east-1"


@pytest.fixture
def detect_mitigation_emulator(
    monkeypatch: pytest.MonkeyPatch, detect_mitigation_region: str
) -> Iterator[DetectMitigationEmulator]:
    """An in-process emulator with fake credentials, so a test cannot reach real AWS."""
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", detect_mitigation_region)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    from ._mock import mock_detect_mitigation  # moto is imported only when the fixture is used

    with mock_detect_mitigation(region_name=detect_mitigation_region) as emulator:
        yield emulator
