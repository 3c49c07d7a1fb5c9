"""Opaque nextToken pagination over a list snapshot."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

from ._errors import InvalidRequestException

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
"""AWS does not publish the default maxResults; a small one makes unpaginated clients show up."""

_PREFIX = "dm-offset:"


def page(
    items: Sequence[T], max_results: int | None, next_token: str | None
) -> tuple[list[T], str | None]:
    """One page and the token for the next, or None after the last page."""
    start = _decode(next_token) if next_token is not None else 0
    size = max_results if max_results is not None else DEFAULT_PAGE_SIZE
    end = start + size
    token = _encode(end) if end < len(items) else None
    return list(items[start:end]), token


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _decode(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith(_PREFIX):
            offset = int(text.removeprefix(_PREFIX))
            if offset >= 0:
                return offset
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidRequestException(f"The nextToken {token!r} is not valid")
