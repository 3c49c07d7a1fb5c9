"""Keyset pagination: a nextToken names the last item returned, not an offset.

Each listed item carries a key that orders it for good (the state numbers items as they are
created). A page holds the items whose key follows the token's, so deleting or adding items
between pages neither skips nor repeats an item that still exists.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import TypeVar

from ._errors import InvalidRequestException

T = TypeVar("T")

Key = tuple[int, ...]
"""Where an item sits in its list for as long as it exists; compared as a tuple."""

DEFAULT_PAGE_SIZE = 25
"""AWS does not publish the default maxResults; a small one makes unpaginated clients show up."""

_PREFIX = "dm-after:"


def page(
    keyed: Iterable[tuple[Key, T]], max_results: int | None, next_token: str | None
) -> tuple[list[T], str | None]:
    """The page after `next_token` (from the start if None) and the token for the next one."""
    after = _decode(next_token) if next_token is not None else None
    size = max_results if max_results is not None else DEFAULT_PAGE_SIZE
    following = sorted(
        (pair for pair in keyed if after is None or pair[0] > after), key=lambda pair: pair[0]
    )
    chosen = following[:size]
    token = _encode(chosen[-1][0]) if len(following) > size else None
    return [item for _, item in chosen], token


def _encode(key: Key) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{json.dumps(list(key))}".encode()).decode()


def _decode(token: str) -> Key:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith(_PREFIX):
            key = json.loads(text.removeprefix(_PREFIX))
            if (
                isinstance(key, list)
                and key
                and all(type(part) is int and part >= 0 for part in key)
            ):
                return tuple(key)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidRequestException(f"The nextToken {token!r} is not valid")
