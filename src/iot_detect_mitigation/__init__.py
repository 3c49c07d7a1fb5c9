"""Typed, validated, retry-safe client for AWS IoT Device Defender ML Detect mitigation tasks.

The public surface is this module's ``__all__``; the modules behind it are private.
"""

import logging

from ._client import DetectMitigationClient
from ._errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigurationError,
    DetectMitigationError,
    InternalFailureError,
    InvalidRegionError,
    InvalidRequestError,
    LimitExceededError,
    NoCredentialsError,
    NoRegionError,
    ResourceNotFoundError,
    ServiceError,
    ServiceUnavailableError,
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
    DetectMitigationActionsTaskTargetOutput,
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
    ViolationEventOccurrenceRangeOutput,
)
from ._retry import RetryPolicy
from ._waiting import WaitPolicy

__version__ = "0.1.0"

# A library's logger stays silent unless the application configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AccessDeniedError",
    "AddThingsToThingGroupParams",
    "AuthenticationError",
    "CACertificateUpdateAction",
    "ConfigurationError",
    "DescribeDetectMitigationActionsTaskRequest",
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
    "LogLevel",
    "MitigationAction",
    "MitigationActionParams",
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
