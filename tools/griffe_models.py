"""A griffe extension for the API reference: pydantic models as a reader of the AWS docs needs them.

mkdocstrings reads the source, so on its own it shows the private type aliases fields are
declared with (``TaskId``), the private base classes (``_RequestShape``), and none of the limits
those aliases carry. This extension imports each public model and rewrites, in the reference
only:

- each field's type, as the plain type pydantic validates (``str``, ``list[str] | None``);
- each field's docstring, to which it adds the AWS member name and the limits, taken from the
  model's own JSON schema, so that they cannot drift from what is enforced;
- the bases, a private one replaced by the public class it derives from (``BaseModel``);
- elsewhere in the public API, a private type alias spelled out (``Literal[...]``).

mkdocs.yml loads it with ``extensions: [tools/griffe_models.py]``; tests/test_docs.py checks it.
"""

from __future__ import annotations

import ast
import importlib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import griffe
from pydantic import BaseModel

PACKAGES = ("iot_detect_mitigation", "iot_detect_mitigation.testing")


def public_models() -> list[type[BaseModel]]:
    """The pydantic models the packages export."""
    models = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseModel):
                models.append(value)
    return models


def type_name(annotation: Any) -> str:
    """The annotation as a reader writes it, without ``Annotated`` metadata or aliases."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return type_name(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in get_args(annotation))
    if origin is not None:
        args = ", ".join(type_name(arg) for arg in get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "None"
    if annotation is Any:
        return "Any"
    return str(getattr(annotation, "__name__", annotation))


def _bounds(low: int | None, high: int | None, unit: str) -> str | None:
    if low is not None and high is not None:
        return f"{low} {unit}" if low == high else f"{low} to {high} {unit}"
    if high is not None:
        return f"at most {high} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    return None


def describe_limits(schema: dict[str, Any]) -> str | None:
    """The limits of a JSON schema, in words: lengths, patterns, list sizes, ranges."""
    branches = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") != "null"]
    if len(branches) != 1:
        return None
    (schema,) = branches
    parts: list[str] = []
    if schema.get("type") == "string":
        length = _bounds(schema.get("minLength"), schema.get("maxLength"), "characters")
        if length:
            parts.append(length)
        if "pattern" in schema:
            parts.append(f"matching `{schema['pattern']}`")
    elif schema.get("type") == "array":
        size = _bounds(schema.get("minItems"), schema.get("maxItems"), "items")
        if size:
            parts.append(size)
        each = describe_limits(schema.get("items", {}))
        if each:
            parts.append(f"each {each}")
    elif schema.get("type") in ("integer", "number"):
        for key, words in (
            ("minimum", "at least"),
            ("exclusiveMinimum", "more than"),
            ("maximum", "at most"),
            ("exclusiveMaximum", "less than"),
        ):
            if key in schema:
                parts.append(f"{words} {schema[key]}")
    return ", ".join(parts) or None


def field_notes(model: type[BaseModel]) -> dict[str, str]:
    """For each field the model declares itself: its AWS name and its limits, as markdown."""
    properties = model.model_json_schema(by_alias=False, mode="validation").get("properties", {})
    notes = {}
    for name, field in model.model_fields.items():
        lines = [f"AWS name: `{field.alias or name}`."]
        limits = describe_limits(properties.get(name, {}))
        if limits:
            lines.append(f"Limits: {limits}.")
        notes[name] = " ".join(lines)
    return notes


def _public_bases(model: type) -> list[type]:
    bases: list[type] = []
    for base in model.__bases__:
        bases.extend(_public_bases(base) if base.__name__.startswith("_") else [base])
    return bases


def _expression(source: str, scope: griffe.Class | griffe.Module) -> str | griffe.Expr:
    """``source`` as an annotation resolved in ``scope``, so that its names link where they can."""
    return griffe.get_annotation(ast.parse(source, mode="eval").body, parent=scope) or source


def _without_private_aliases(
    annotation: str | griffe.Expr, scope: griffe.Object, public: set[str]
) -> str | griffe.Expr:
    """The annotation with each private type alias (``TaskStatus = Literal[...]``) spelled out."""
    if isinstance(annotation, str):
        return annotation
    text = str(annotation)
    for part in annotation.iterate(flat=True):
        if not isinstance(part, griffe.ExprName):
            continue
        path = part.canonical_path
        if not path.startswith(f"{PACKAGES[0]}.") or path.rsplit(".", 1)[-1] in public:
            continue
        try:
            alias = scope.modules_collection[path]
        except KeyError:
            continue
        if isinstance(alias, griffe.Attribute) and alias.value is not None:
            text = re.sub(rf"\b{re.escape(part.name)}\b", str(alias.value), text)
    if text == str(annotation):
        return annotation
    return _expression(text, scope if isinstance(scope, griffe.Class) else scope.module)


def _exported(pkg: griffe.Module) -> list[griffe.Object]:
    """The objects the packages export, and their public members."""
    found: list[griffe.Object] = []
    for package in PACKAGES:
        module = pkg.modules_collection[package]
        for name in module.exports or []:
            obj = module[name]
            target = obj.final_target if isinstance(obj, griffe.Alias) else obj
            found.append(target)
            found.extend(
                member
                for member_name, member in target.members.items()
                if not member_name.startswith("_") and isinstance(member, griffe.Object)
            )
    return found


class PublicModels(griffe.Extension):
    """Rewrites the public API of the package as described in the module docstring."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != PACKAGES[0]:
            return
        self._document_models(pkg)
        public = {name for package in PACKAGES for name in importlib.import_module(package).__all__}
        for obj in _exported(pkg):
            if isinstance(obj, griffe.Attribute) and obj.annotation is not None:
                obj.annotation = _without_private_aliases(obj.annotation, obj.parent or obj, public)
            if isinstance(obj, griffe.Function):
                for parameter in obj.parameters:
                    if parameter.annotation is not None:
                        parameter.annotation = _without_private_aliases(
                            parameter.annotation, obj.parent or obj, public
                        )
                if obj.returns is not None:
                    obj.returns = _without_private_aliases(obj.returns, obj.parent or obj, public)

    def _document_models(self, pkg: griffe.Module) -> None:
        collection = pkg.modules_collection
        for model in public_models():
            cls = collection[f"{model.__module__}.{model.__qualname__}"]
            if not isinstance(cls, griffe.Class):
                continue
            cls.bases = [
                _expression(base.__name__, cls)
                if base.__module__ == model.__module__
                # A public base from elsewhere (pydantic's BaseModel) is named in full.
                else f"{base.__module__.split('.')[0]}.{base.__qualname__}"
                for base in _public_bases(model)
            ]
            notes = field_notes(model)
            for name, field in model.model_fields.items():
                attribute = cls.members.get(name)
                if not isinstance(attribute, griffe.Attribute):
                    continue  # declared on a base class, and documented there
                attribute.annotation = _expression(type_name(field.annotation), cls)
                if notes[name]:
                    if attribute.docstring is None:
                        attribute.docstring = griffe.Docstring(notes[name], parent=attribute)
                    else:
                        attribute.docstring.value = f"{attribute.docstring.value}\n\n{notes[name]}"
