"""What running one mitigation action on one violating thing does to moto's IoT backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.iot.models import IoTBackend

ACTION_TYPES: Mapping[str, str] = {
    "updateDeviceCertificateParams": "UPDATE_DEVICE_CERTIFICATE",
    "updateCACertificateParams": "UPDATE_CA_CERTIFICATE",
    "addThingsToThingGroupParams": "ADD_THINGS_TO_THING_GROUP",
    "replaceDefaultPolicyVersionParams": "REPLACE_DEFAULT_POLICY_VERSION",
    "enableIoTLoggingParams": "ENABLE_IOT_LOGGING",
    "publishFindingToSnsParams": "PUBLISH_FINDING_TO_SNS",
}
"""Which member of MitigationActionParams gives which MitigationActionType."""

Outcome = tuple[str, str] | None
"""None when the action succeeded, otherwise (errorCode, message)."""


def perform(
    backend: IoTBackend, action_type: str, params: Mapping[str, Any], thing_name: str
) -> Outcome:
    """Quarantine for real; other action types have no effect moto could show, so just succeed."""
    if action_type != "ADD_THINGS_TO_THING_GROUP":
        return None
    if not any(thing.thing_name == thing_name for thing in backend.things.values()):
        return "ResourceNotFoundException", f"Thing {thing_name} does not exist"
    group_names: list[str] = list(params["addThingsToThingGroupParams"]["thingGroupNames"])
    known = {group.thing_group_name for group in backend.thing_groups.values()}
    missing = [name for name in group_names if name not in known]
    if missing:
        return "ResourceNotFoundException", f"Thing group {missing[0]} does not exist"
    for group_name in group_names:
        backend.add_thing_to_thing_group(group_name, None, thing_name, None)
    return None
