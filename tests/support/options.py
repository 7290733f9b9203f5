"""Checks shared by every wire's ``CallOptions`` tests: the vendor's own names, the recorded shapes.

``recorded_types(wire_format, path)`` reads the recorded ``request.json`` bodies of a wire (in
``../shared/streams``) and returns the JSON types seen at ``path`` (a tuple of keys): what a real
client sent under that name, so a body we encode can be held against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.support.streams import recorded_streams

_MISSING = object()


def dig(body: Any, path: Sequence[str]) -> Any:
    """``body[path[0]][path[1]]...``, or a sentinel when absent."""
    for key in path:
        if not isinstance(body, dict) or key not in body:
            return _MISSING
        body = body[key]
    return body


def present(body: Any, path: Sequence[str]) -> bool:
    return dig(body, path) is not _MISSING


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def recorded_types(wire_formats: Sequence[str], path: Sequence[str]) -> set[str]:
    """The JSON types found at ``path`` in the recorded requests of those wire formats."""
    found: set[str] = set()
    for wire_format in wire_formats:
        for stream in recorded_streams(wire_format):
            request = stream.request
            value = dig(request, path)
            if value is not _MISSING and value is not None:
                found.add(json_type(value))
    return found
