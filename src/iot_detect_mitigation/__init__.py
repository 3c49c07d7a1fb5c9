"""Typed, validated, retry-safe client for AWS IoT Device Defender ML Detect mitigation tasks.

The public surface is this module's ``__all__``; the modules behind it are private.
"""

from ._client import DetectMitigationClient
from ._errors import (
    DetectMitigationError,
    InternalFailureError,
    InvalidRequestError,
    LimitExceededError,
    ResourceNotFoundError,
    ServiceError,
    TaskAlreadyExistsError,
    TaskCanceledError,
    TaskFailedError,
    ThrottlingError,
    TransportError,
    UnexpectedResponseError,
    WaitError,
    WaitTimeoutError,
)
from ._models import (
    AddThingsToThingGroupParams,
    CACertificateUpdateAction,
    DescribeDetectMitigationActionsTaskRequest,
    DetectMitigationActionsTaskStatistics,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    DetectMitigationActionsTaskTarget,
    DeviceCertificateUpdateAction,
    EnableIoTLoggingParams,
    LogLevel,
    MitigationAction,
    MitigationActionParams,
    PolicyTemplateName,
    PublishFindingToSnsParams,
    ReplaceDefaultPolicyVersionParams,
    StartDetectMitigationActionsTaskRequest,
    UpdateCACertificateParams,
    UpdateDeviceCertificateParams,
    ViolationEventOccurrenceRange,
)
from ._retry import RetryPolicy
from ._waiting import WaitPolicy

__version__ = "0.1.0"

__all__ = [
    "AddThingsToThingGroupParams",
    "CACertificateUpdateAction",
    "DescribeDetectMitigationActionsTaskRequest",
    "DetectMitigationActionsTaskStatistics",
    "DetectMitigationActionsTaskStatus",
    "DetectMitigationActionsTaskSummary",
    "DetectMitigationActionsTaskTarget",
    "DetectMitigationClient",
    "DetectMitigationError",
    "DeviceCertificateUpdateAction",
    "EnableIoTLoggingParams",
    "InternalFailureError",
    "InvalidRequestError",
    "LimitExceededError",
    "LogLevel",
    "MitigationAction",
    "MitigationActionParams",
    "PolicyTemplateName",
    "PublishFindingToSnsParams",
    "ReplaceDefaultPolicyVersionParams",
    "ResourceNotFoundError",
    "RetryPolicy",
    "ServiceError",
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
    "WaitError",
    "WaitPolicy",
    "WaitTimeoutError",
    "__version__",
]
