"""The clients the library builds: iot's model trimmed from botocore's own, on the same wire.

botocore's service model is the source of truth: every check here compares the trimmed model, and
what a client built from it sends and reads, with botocore's own.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from iot_detect_mitigation import ConfigurationError, DetectMitigationClient
from iot_detect_mitigation._session import (
    OPERATIONS,
    SHIPPED_MODEL,
    LibraryLoader,
    build_client,
    derive_shipped_model,
    shipped_model,
    trimmed_model,
    write_shipped_model,
)

from .wire import Wire

SERVICE = botocore.session.get_session().get_service_model("iot")
API_VERSION = SERVICE.api_version


def _botocore_model() -> dict[str, Any]:
    model: dict[str, Any] = Loader().load_service_model("iot", "service-2")
    return model


def _shape(shape: Shape | None, seen: frozenset[str] = frozenset()) -> Any:
    """Everything botocore reads from a shape, its members' shapes included."""
    if shape is None:
        return None
    if shape.name in seen:
        return shape.name
    seen |= {shape.name}
    tree: dict[str, Any] = {
        "name": shape.name,
        "type": shape.type_name,
        "metadata": shape.metadata,
        "serialization": shape.serialization,
    }
    if shape.type_name == "structure":
        members = shape.members  # type: ignore[attr-defined]  # a StructureShape
        tree["members"] = {name: _shape(member, seen) for name, member in members.items()}
    for part in ("member", "key", "value"):
        if hasattr(shape, part):
            tree[part] = _shape(getattr(shape, part), seen)
    return tree


def _operation(operation: OperationModel) -> dict[str, Any]:
    return {
        "http": operation.http,
        "metadata": operation.metadata,
        "input": _shape(operation.input_shape),
        "output": _shape(operation.output_shape),
        "errors": [_shape(error) for error in operation.error_shapes],
        "auth": operation.auth,
        "idempotent": operation.idempotent_members,
        "context": [(p.name, p.member_name) for p in operation.context_parameters],
        "static_context": operation.static_context_parameters,
        "documentation": operation.documentation,
    }


def test_the_trimmed_model_is_botocores_own_for_the_library_operations() -> None:
    trimmed = ServiceModel(trimmed_model(_botocore_model(), OPERATIONS), "iot")

    assert sorted(trimmed.operation_names) == sorted(OPERATIONS)
    for name in OPERATIONS:
        assert _operation(trimmed.operation_model(name)) == _operation(
            SERVICE.operation_model(name)
        )
    assert trimmed.metadata == SERVICE.metadata
    assert trimmed.endpoint_prefix == SERVICE.endpoint_prefix
    # Every error class a complete client has, so errors are the same classes.
    assert {s.name for s in trimmed.error_shapes} == {s.name for s in SERVICE.error_shapes}


def test_a_model_without_one_of_the_operations_cannot_be_trimmed() -> None:
    model = _botocore_model()
    del model["operations"]["CancelDetectMitigationActionsTask"]
    with pytest.raises(KeyError):
        trimmed_model(model, OPERATIONS)


def _installed_source() -> bytes:
    return (Path(Loader.BUILTIN_DATA_PATH) / "iot" / API_VERSION / "service-2.json.gz").read_bytes()


def test_the_shipped_model_serves_exactly_the_files_it_was_derived_from() -> None:
    source = _installed_source()
    listed = {s["sha256"] for s in json.loads(SHIPPED_MODEL.read_bytes())["sources"]}

    shipped = shipped_model(source)

    if hashlib.sha256(source).hexdigest() in listed:
        assert shipped == trimmed_model(_botocore_model(), OPERATIONS)
    else:  # a botocore it was not derived from: the model is trimmed from botocore's at run time
        assert shipped is None
    assert shipped_model(gzip.compress(gzip.decompress(source) + b" ")) is None


def test_make_iot_model_derives_it_from_the_installed_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = json.loads(SHIPPED_MODEL.read_bytes())
    target = tmp_path / "_iot_model.json"
    monkeypatch.setattr("iot_detect_mitigation._session.SHIPPED_MODEL", target)
    source = _installed_source()
    assert shipped_model(source) is None  # no file

    target.write_text(json.dumps({**shipped, "model": {"older": True}}))
    write_shipped_model()

    written = json.loads(target.read_bytes())
    assert written["model"] == trimmed_model(_botocore_model(), OPERATIONS)
    assert written["sources"] == [
        {"botocore": botocore.__version__, "sha256": hashlib.sha256(source).hexdigest()}
    ]
    assert shipped_model(source) == written["model"]
    # Derived again with the same result, it keeps serving the files it served before.
    again = derive_shipped_model({**written, "sources": [*written["sources"], {"sha256": "x"}]})
    assert [s["sha256"] for s in again["sources"]][1:] == ["x"]
    target.write_text("not JSON")
    assert shipped_model(source) is None


def _build(**options: Any) -> tuple[Any, Any]:
    return build_client(None, "us-east-1", options.get("endpoint_url"), 5.0, 10.0)


def test_a_built_client_has_the_library_operations_until_a_complete_one_is_asked_for() -> None:
    first, complete = _build()
    assert sorted(first.meta.service_model.operation_names) == sorted(OPERATIONS)
    assert complete is not None

    full = complete()

    assert full.meta.service_model.operation_names == SERVICE.operation_names
    assert full.meta.config.retries == first.meta.config.retries
    assert full.meta.region_name == first.meta.region_name
    assert callable(full.list_things)  # any iot operation, as on boto3's own client


def test_iot_client_is_complete_and_every_call_goes_through_it() -> None:
    client = DetectMitigationClient(region_name="us-east-1")
    assert "us-east-1" in repr(client)

    iot = client.iot_client
    wire = Wire(responder=lambda _: (200, {"taskSummary": {"taskId": "t-1"}})).attach(iot)

    assert iot.meta.service_model.operation_names == SERVICE.operation_names
    assert client.iot_client is iot
    assert client.describe_task("t-1").task_id == "t-1"
    assert len(wire.requests) == 1


SUMMARY = {
    "taskId": "t-1",
    "taskStatus": "SUCCESSFUL",
    "taskStartTime": 1763700000.125,
    "taskEndTime": 1763700001.5,
    "target": {"violationIds": ["v-1", "v-2"]},
    "violationEventOccurrenceRange": {"startTime": 1763690000, "endTime": 1763700000},
    "onlyActiveViolationsIncluded": True,
    "suppressedAlertsIncluded": False,
    "actionsDefinition": [
        {
            "name": "quarantine",
            "id": "a-1",
            "roleArn": "arn:aws:iam::123456789012:role/mitigation",
            "actionParams": {
                "addThingsToThingGroupParams": {"thingGroupNames": ["q"]},
                "enableIoTLoggingParams": {"roleArnForLogging": "arn:r", "logLevel": "WARN"},
            },
        }
    ],
    "taskStatistics": {"actionsExecuted": 3, "actionsSkipped": 1, "actionsFailed": 1},
}
EXECUTION = {
    "taskId": "t-1",
    "violationId": "v-1",
    "actionName": "quarantine",
    "thingName": "sensor-1",
    "executionStartDate": 1763700000.25,
    "executionEndDate": 1763700001,
    "status": "FAILED",
    "errorCode": "AccessDenied",
    "message": "not allowed",
}
WINDOW = {"startTime": datetime(2025, 11, 21, tzinfo=UTC), "endTime": datetime.now(UTC)}
CALLS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "start_detect_mitigation_actions_task",
        {
            "taskId": "t-1",
            "target": {"violationIds": ["v-1", "v-2"]},
            "actions": ["quarantine", "notify"],
            "violationEventOccurrenceRange": WINDOW,
            "includeOnlyActiveViolations": True,
            "includeSuppressedAlerts": False,
            "clientRequestToken": "token-1",
        },
        {"taskId": "t-1", "taskArn": "arn:aws:iot:us-east-1:123456789012:task/t-1"},
    ),
    ("describe_detect_mitigation_actions_task", {"taskId": "t-1"}, {"taskSummary": SUMMARY}),
    ("cancel_detect_mitigation_actions_task", {"taskId": "t-1"}, {}),
    (
        "list_detect_mitigation_actions_tasks",
        {**WINDOW, "maxResults": 250, "nextToken": "next"},
        {"tasks": [SUMMARY], "nextToken": "more"},
    ),
    (
        "list_detect_mitigation_actions_executions",
        {"taskId": "t-1", "violationId": "v-1", "thingName": "sensor-1", "maxResults": 10},
        {"actionsExecutions": [EXECUTION], "nextToken": "more"},
    ),
    (
        "list_detect_mitigation_actions_executions",
        {**WINDOW, "nextToken": "n"},
        {"actionsExecutions": [EXECUTION]},
    ),
]
VOLATILE = {"X-Amz-Date", "Authorization", "amz-sdk-invocation-id"}


def _header(name: str, value: str | bytes) -> Any:
    if name != "User-Agent":
        return value
    # The feature ids of its m/ part come in the order the features were first used.
    return [
        "m/" + ",".join(sorted(part[2:].split(","))) if part.startswith("m/") else part
        for part in (value.decode() if isinstance(value, bytes) else value).split()
    ]


def _request(request: AWSPreparedRequest) -> dict[str, Any]:
    headers = {k: _header(k, v) for k, v in request.headers.items() if k not in VOLATILE}
    body = request.body
    return {
        "method": request.method,
        "url": request.url,
        "body": json.loads(body) if isinstance(body, bytes | str) and body else None,
        "headers": headers,
    }


@pytest.mark.parametrize(("method", "params", "answer"), CALLS)
def test_a_built_client_sends_and_reads_what_botocore_does(
    method: str, params: dict[str, Any], answer: dict[str, Any]
) -> None:
    config = Config(retries={"total_max_attempts": 1}, parameter_validation=False)
    theirs = boto3.Session().client("iot", region_name="eu-west-1", config=config)
    ours, _ = build_client(None, "eu-west-1", None, 60.0, 60.0)
    results = []
    for client in (ours, theirs):
        wire = Wire(responder=lambda _: (200, answer)).attach(client)
        got = getattr(client, method)(**params)
        got.pop("ResponseMetadata")
        results.append((_request(wire.requests[0]), got))

    assert results[0] == results[1]


def test_an_unknown_error_code_is_the_same_class_as_on_a_complete_client() -> None:
    ours, complete = build_client(None, "us-east-1", None, 5.0, 10.0)
    assert complete is not None
    caught = []
    for client in (ours, complete()):
        Wire(
            responder=lambda _: (409, {"message": "busy"}, "ConflictingResourceUpdateException")
        ).attach(client)
        with pytest.raises(Exception) as raised:
            client.cancel_detect_mitigation_actions_task(taskId="t-1")
        caught.append(type(raised.value).__name__)
    assert caught == ["ConflictingResourceUpdateException"] * 2


def _data_path(tmp_path: Path, model: dict[str, Any]) -> str:
    folder = tmp_path / "iot" / API_VERSION
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return str(tmp_path)


def test_a_model_in_aws_data_path_is_the_one_trimmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _botocore_model()
    model["operations"]["DescribeDetectMitigationActionsTask"]["documentation"] = "<p>mine</p>"
    monkeypatch.setenv("AWS_DATA_PATH", _data_path(tmp_path, model))

    first, complete = _build()

    describe = first.meta.service_model.operation_model("DescribeDetectMitigationActionsTask")
    assert describe.documentation == "<p>mine</p>"
    assert sorted(first.meta.service_model.operation_names) == sorted(OPERATIONS)
    assert complete is not None


def test_a_model_that_lacks_an_operation_gives_the_full_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _botocore_model()
    del model["operations"]["ListDetectMitigationActionsTasks"]
    monkeypatch.setenv("AWS_DATA_PATH", _data_path(tmp_path, model))

    first, complete = _build()

    assert first.meta.service_model.operation_names == sorted(model["operations"])
    assert complete is None
    assert callable(DetectMitigationClient(region_name="us-east-1").iot_client.list_things)


def test_a_session_of_yours_is_used_as_it_is() -> None:
    session = boto3.Session(region_name="eu-west-1")
    client, complete = build_client(session, None, None, 5.0, 10.0)
    assert complete is None
    assert client.meta.service_model.operation_names == SERVICE.operation_names
    assert DetectMitigationClient(session=session).iot_client.meta.region_name == "eu-west-1"


def test_the_garbage_collector_is_paused_while_a_client_is_built() -> None:
    session = boto3.Session(region_name="eu-west-1")
    collecting: list[bool] = []
    session.events.register(
        "creating-client-class.iot", lambda **_: collecting.append(gc.isenabled())
    )

    DetectMitigationClient(session=session)

    assert collecting == [False]
    assert gc.isenabled()


def test_a_collector_you_turned_off_stays_off_and_a_failed_build_turns_it_back_on() -> None:
    gc.disable()
    try:
        DetectMitigationClient(region_name="us-east-1")
        assert not gc.isenabled()
    finally:
        gc.enable()

    with pytest.raises(ConfigurationError):
        DetectMitigationClient(region_name="us-east-1", endpoint_url="not a url")

    assert gc.isenabled()


def test_overlapping_builds_in_two_threads_leave_the_collector_on() -> None:
    """The first build ends while the second is under way, and the second ends last."""
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))

    def session(hook: Callable[..., None]) -> boto3.Session:
        made = boto3.Session(region_name="us-east-1")
        made.events.register("creating-client-class.iot", hook)
        return made

    def first_hook(**_: object) -> None:
        first_inside.set()
        assert second_inside.wait(30)

    def second_hook(**_: object) -> None:
        second_inside.set()
        assert first_done.wait(30)

    first = threading.Thread(target=DetectMitigationClient, kwargs={"session": session(first_hook)})
    second = threading.Thread(
        target=DetectMitigationClient, kwargs={"session": session(second_hook)}
    )
    first.start()
    assert first_inside.wait(30)
    second.start()
    first.join(30)
    first_done.set()
    second.join(30)

    assert not first.is_alive() and not second.is_alive()
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("service", "kind"),
    [
        ("iot", "endpoint-rule-set-1"),
        ("iot", "paginators-1"),
        ("iot", "service-2"),
        ("sts", "service-2"),
    ],
)
def test_the_loader_serves_every_model_as_botocore_does_once_complete(
    service: str, kind: str
) -> None:
    loader = LibraryLoader(Loader().search_paths)
    loader.operations = None

    assert loader.load_service_model(service, kind) == Loader().load_service_model(service, kind)
    assert loader.load_data("endpoints") == Loader().load_data("endpoints")
    for either in (loader, Loader()):  # iot has no waiter model
        with pytest.raises(DataNotFoundError):
            either.load_service_model("iot", "waiters-2", API_VERSION)
