"""The cheapest validating pydantic models of the library's shapes: what any such wrapper pays.

``bare(model)`` derives, from one of the library's models, a model with the same fields, aliases
and nesting, but none of the library's rules: every member a plain type (an open enum becomes
``str``, a timestamp a plain ``datetime``), no constraints, no validators, not frozen, read by
alias only, unknown members ignored. ``make bench`` times raw boto3 plus a parse (or a request's
validation) with these models against raw boto3 alone: a ratio that no wrapper which validates
what it reads into pydantic models can beat. (``model_construct`` skips validation, so it could
not report a malformed answer, which the library must.)
"""

from __future__ import annotations

import types
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Optional, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

# Aliases only (the library's models accept field names too) and nothing else to check.
_BARE_CONFIG = ConfigDict(alias_generator=to_camel, extra="ignore")
_made: dict[type[BaseModel], type[BaseModel]] = {}


def bare(model: type[BaseModel]) -> type[BaseModel]:
    """``model``'s fields and aliases with plain types and no rules (made once per model)."""
    if model not in _made:
        fields: dict[str, Any] = {
            name: (Optional[_plain(field.annotation)], Field(default=None, alias=field.alias))  # noqa: UP045
            for name, field in model.model_fields.items()
        }
        _made[model] = create_model(f"Bare{model.__name__}", __config__=_BARE_CONFIG, **fields)
    return _made[model]


def _plain(annotation: Any) -> Any:
    """The plainest type pydantic reads the same members with."""
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _plain(arguments[0])
    if origin in (Union, types.UnionType):
        members = {_plain(argument) for argument in arguments if argument is not type(None)}
        return members.pop() if len(members) == 1 else Any
    if origin is list:
        return list[_plain(arguments[0])]  # type: ignore[misc]  # a type known at run time
    if annotation is AwareDatetime:
        return datetime
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bare(annotation)
    return annotation if annotation in (str, int, bool, datetime) else Any
