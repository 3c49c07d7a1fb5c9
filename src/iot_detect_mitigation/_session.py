"""The boto3 ``iot`` clients the library builds, on a botocore session of its own.

botocore builds an ``iot`` client from its whole iot model, some 270 operations in 0.9 MiB of JSON.
On a cold start that is the largest part of the client's cost (benchmarks/README.md): botocore
lists every service it has (some 440 directories) to check that iot is one, parses its JSON files
into ``OrderedDict`` objects, and makes a method for every operation. The library calls five.

So the session the library builds its clients on has a loader that reads iot's files without the
listing, parses JSON into plain dicts (which keep their order too, and parse several times
faster), and serves the iot service model trimmed to the library's operations, the shapes they
reach and the service's error shapes (so errors are the same classes as on a complete client):

* the trimmed model shipped in ``_iot_model.json``, when the file botocore would load is one it
  was derived from (same SHA-256; ``make iot-model`` derives it);
* otherwise the model botocore would load, trimmed when the client is built (so a newer botocore,
  or a model in ``AWS_DATA_PATH``, is followed exactly);
* the full model, if one of the operations is missing from it.

A caller who asks for ``iot_client`` gets a complete client, built then. A session the caller
passes in is used as it is: it may carry handlers and settings of its own.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, DataNotFoundError
from botocore.loaders import ExtrasProcessor, JSONFileLoader, Loader

from ._errors import ConfigurationError, DetectMitigationError, from_botocore

if TYPE_CHECKING:
    from mypy_boto3_iot import IoTClient

START = "StartDetectMitigationActionsTask"
DESCRIBE = "DescribeDetectMitigationActionsTask"
CANCEL = "CancelDetectMitigationActionsTask"
LIST_TASKS = "ListDetectMitigationActionsTasks"
LIST_EXECUTIONS = "ListDetectMitigationActionsExecutions"
OPERATIONS = (START, DESCRIBE, CANCEL, LIST_TASKS, LIST_EXECUTIONS)
"""The operations the library calls: all a trimmed client has."""

_SERVICE = "iot"
SHIPPED_MODEL = Path(__file__).with_name("_iot_model.json")


def trimmed_model(model: Mapping[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """``model`` (a botocore service model) with only ``operations``, the shapes they reach and
    every error shape; KeyError if an operation or a shape it names is missing."""
    shapes = model["shapes"]
    wanted = [name for name, shape in shapes.items() if shape.get("exception")]
    for operation in (model["operations"][name] for name in operations):
        wanted += [operation[part]["shape"] for part in ("input", "output") if part in operation]
        wanted += [error["shape"] for error in operation.get("errors", ())]
    kept: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in kept:
            kept.add(name)
            shape = shapes[name]
            wanted += [member["shape"] for member in shape.get("members", {}).values()]
            wanted += [shape[part]["shape"] for part in ("member", "key", "value") if part in shape]
    return {
        **model,
        "operations": {name: model["operations"][name] for name in operations},
        "shapes": {name: shape for name, shape in shapes.items() if name in kept},
    }


def _parse(path: str) -> Any:
    with open(path, "rb") as file:
        data = file.read()
    return json.loads(gzip.decompress(data) if path.endswith(".gz") else data)


class _JSONFileLoader(JSONFileLoader):
    """botocore's file loader, parsing into plain dicts instead of ``OrderedDict`` objects."""

    def load_file(self, file_path: str) -> Any:
        for extension in (".json", ".json.gz"):
            if os.path.isfile(file_path + extension):
                return _parse(file_path + extension)
        return None


def shipped_model(source: bytes) -> dict[str, Any] | None:
    """The shipped trimmed model, if it was derived from a file with exactly these bytes."""
    try:
        shipped = json.loads(SHIPPED_MODEL.read_bytes())
    except (OSError, ValueError):
        return None
    digest = hashlib.sha256(source).hexdigest()
    derived_from = {known["sha256"] for known in shipped.get("sources", ())}
    if shipped.get("operations") != list(OPERATIONS) or digest not in derived_from:
        return None
    model: dict[str, Any] = shipped["model"]
    return model


class LibraryLoader(Loader):
    """botocore's loader, with the same search paths, that reads iot's files directly and trims
    its service model to ``operations`` (all of them when ``None``)."""

    def __init__(self, search_paths: list[str]) -> None:
        super().__init__(
            extra_search_paths=list(search_paths),
            file_loader=_JSONFileLoader(),
            include_default_search_paths=False,
        )
        self.operations: tuple[str, ...] | None = OPERATIONS
        self.trimmed = False
        """Whether the latest iot service model it served was trimmed."""

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        if service_name != _SERVICE:
            return super().load_service_model(service_name, type_name, api_version)
        # What botocore's Loader.load_service_model does, less listing every service it has.
        name = os.path.join(
            service_name,
            api_version or self.determine_latest_version(service_name, type_name),
            type_name,
        )
        path = self.locate(name)
        extras = []
        for extras_type in self.extras_types:
            with contextlib.suppress(DataNotFoundError):
                extras.append(self.load_data(f"{name}.{extras_type}-extras"))
        operations = self.operations if type_name == "service-2" else None
        if operations == OPERATIONS and not extras:
            with open(path, "rb") as file:
                shipped = shipped_model(file.read())
            if shipped is not None:
                self.trimmed = True
                return shipped
        model = _parse(path)
        ExtrasProcessor().process(model, extras)
        if operations is not None:
            try:
                model, self.trimmed = trimmed_model(model, operations), True
            except KeyError:
                self.trimmed = False  # this model lacks one of them: the full model it is
        return model

    def locate(self, name: str) -> str:
        """The file ``load_data(name)`` would read: the first search path that has it."""
        for search_path in self.search_paths:
            for extension in (".json", ".json.gz"):
                path = os.path.join(search_path, name) + extension
                if os.path.isfile(path):
                    return path
        raise DataNotFoundError(data_path=name)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a client is built.

    Building one parses hundreds of kilobytes of JSON into objects that live as long as the
    client; meanwhile the collector keeps passing over them, and now and then over the whole
    heap, and frees nothing (about 6% of a cold start, benchmarks/README.md). The collector is
    the process's: for those milliseconds no thread collects, and a ``gc.disable()`` another
    thread makes meanwhile is undone when the build ends. One that was off stays off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_client(
    session: boto3.Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    connect_timeout: float,
    read_timeout: float,
) -> tuple[IoTClient, Callable[[], IoTClient] | None]:
    """The client calls go through, and a function that builds a complete one (``None`` when
    that client is complete already)."""
    # One retry layer (ours), and no second validation pass: our models check more than
    # botocore's ParamValidator does.
    config = Config(
        retries={"total_max_attempts": 1},
        parameter_validation=False,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )

    def client(on: boto3.Session) -> IoTClient:
        try:
            with collector_paused():
                return on.client(
                    "iot", region_name=region_name, endpoint_url=endpoint_url, config=config
                )
        except (BotoCoreError, ValueError) as error:
            translated = from_botocore(error, None)
            if type(translated) is DetectMitigationError:  # e.g. an endpoint_url that is no URL
                translated = ConfigurationError(str(error))
            raise translated from error

    if session is not None:
        return client(session), None
    # boto3.Session() with a loader of ours: the same botocore session it would make.
    own = botocore.session.get_session()
    loader = LibraryLoader(own.get_component("data_loader").search_paths)
    own.register_component("data_loader", loader)
    library = boto3.Session(botocore_session=own)
    first = client(library)
    if not loader.trimmed:
        return first, None

    def complete() -> IoTClient:
        loader.operations = None
        return client(library)

    return first, complete


def derive_shipped_model(previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What ``_iot_model.json`` holds for the installed botocore: its iot model, trimmed, and the
    SHA-256 of the file it came from. Sources of ``previous`` stay listed when the trimmed model
    is the same, so one file serves every botocore whose iot model trims to it."""
    from importlib.metadata import version

    loader = LibraryLoader(botocore.session.get_session().get_component("data_loader").search_paths)
    loader.operations = None
    name = os.path.join(
        _SERVICE, loader.determine_latest_version(_SERVICE, "service-2"), "service-2"
    )
    path = loader.locate(name)
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    model = trimmed_model(loader.load_service_model(_SERVICE, "service-2"), OPERATIONS)
    sources = [{"botocore": version("botocore"), "sha256": digest}]
    if previous is not None and previous.get("model") == model:
        sources += [known for known in previous["sources"] if known["sha256"] != digest]
    return {"operations": list(OPERATIONS), "sources": sources, "model": model}


def write_shipped_model() -> None:
    """Derive ``_iot_model.json`` from the installed botocore (``make iot-model``)."""
    try:
        kept = json.loads(SHIPPED_MODEL.read_bytes())
    except OSError:
        kept = None
    SHIPPED_MODEL.write_text(json.dumps(derive_shipped_model(kept), separators=(",", ":")) + "\n")
