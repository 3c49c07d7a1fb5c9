"""The public surface is locked: adding or removing a name is a deliberate change."""

from __future__ import annotations

import subprocess
import sys

import iot_detect_mitigation

PUBLIC = [
    "AccessDeniedError",
    "AddThingsToThingGroupParams",
    "AuthenticationError",
    "CACertificateUpdateAction",
    "CancelDetectMitigationActionsTaskRequest",
    "ConfigurationError",
    "DescribeDetectMitigationActionsTaskRequest",
    "DetectMitigationActionExecution",
    "DetectMitigationActionExecutionStatus",
    "DetectMitigationActionsTaskStatistics",
    "DetectMitigationActionsTaskStatus",
    "DetectMitigationActionsTaskSummary",
    "DetectMitigationActionsTaskTarget",
    "DetectMitigationActionsTaskTargetOutput",
    "DetectMitigationClient",
    "DetectMitigationError",
    "DeviceCertificateUpdateAction",
    "EnableIoTLoggingParams",
    "InternalFailureError",
    "InvalidRegionError",
    "InvalidRequestError",
    "LimitExceededError",
    "ListDetectMitigationActionsExecutionsRequest",
    "ListDetectMitigationActionsTasksRequest",
    "LogLevel",
    "MitigationAction",
    "MitigationActionParams",
    "MitigationResult",
    "MitigationTimeoutError",
    "NoCredentialsError",
    "NoRegionError",
    "PolicyTemplateName",
    "PublishFindingToSnsParams",
    "ReplaceDefaultPolicyVersionParams",
    "ResourceNotFoundError",
    "RetryPolicy",
    "ServiceError",
    "ServiceUnavailableError",
    "StartDetectMitigationActionsTaskRequest",
    "TaskAlreadyExistsError",
    "TaskCanceledError",
    "TaskFailedError",
    "ThrottlingError",
    "TransportError",
    "UnexpectedResponseError",
    "UpdateCACertificateParams",
    "UpdateDeviceCertificateParams",
    "ViolationEventOccurrenceRange",
    "ViolationEventOccurrenceRangeOutput",
    "WaitError",
    "WaitPolicy",
    "WaitTimeoutError",
    "__version__",
]


def test_all_is_locked() -> None:
    assert sorted(iot_detect_mitigation.__all__) == PUBLIC


def test_every_exported_name_resolves() -> None:
    for name in iot_detect_mitigation.__all__:
        assert getattr(iot_detect_mitigation, name) is not None


def test_every_error_derives_from_the_base() -> None:
    for name in PUBLIC:
        obj = getattr(iot_detect_mitigation, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, iot_detect_mitigation.DetectMitigationError)


def test_importing_the_package_does_not_import_moto() -> None:
    code = "import sys, iot_detect_mitigation; print('moto' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
