"""The sans-IO decoder interface every wire implements.

A decoder is fed the frames of one response body (an SSE event's name and data, or one NDJSON
line with ``event=""``) and returns the ``RawEvent`` items they mean. It does no I/O, so it is
tested by feeding it frames, and the HTTP shell that reads the bytes is shared by all wires.

``feed`` raises a typed ``LlmError`` for a frame that reports or breaks something
(``StreamInBandError`` for a provider error event, ``StreamProtocolError`` for undecodable JSON
or an impossible event order). ``eof`` is called when the body ended cleanly: it returns the
closing items (``END``) when what was seen counts as a complete response, and raises
``StreamTruncatedError`` otherwise.

Every decoder parses its frames with :func:`parse_json`, the one shared JSON path: it is the
fastest way to parse the short objects of a stream (``pydantic_core.from_json``, already a
dependency, with the standard library's C scanner behind it), and it decides once what a lone
UTF-16 surrogate escape (a ``\\ud800`` escape, which ``json.loads`` accepts) becomes: U+FFFD,
as browsers do, so no string that cannot be encoded as UTF-8 ever reaches an event, a message
or the next request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final, Protocol

from pydantic_core import from_json

from llmport.core.raw import RawEvent

__all__ = ["StreamDecoder", "parse_json", "replace_lone_surrogates"]

_loads = json.loads
_from_json = from_json
# The C scanner json.loads ends up in, called directly: half the cost of json.loads on the short
# objects of a stream. Anything unusual (leading or trailing garbage, a syntax error) is handed
# to json.loads, which accepts exactly the same documents and raises its usual error.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_SPACE: Final = " \t\n\r"
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_LONE: Final = re.compile("[\ud800-\udfff]")


def _fix_strings(value: Any) -> Any:
    if isinstance(value, str):
        if _LONE.search(value) is None:
            return value
        # Valid pairs were already joined by the parser; what is left is lone: U+FFFD each.
        return _LONE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_fix_strings(k): _fix_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix_strings(v) for v in value]
    return value


def replace_lone_surrogates(value: Any) -> Any:
    """``value`` (a parsed JSON value) with every lone surrogate in its strings as U+FFFD."""
    return _fix_strings(value)


def parse_json(data: str) -> Any:
    """Parse one frame's JSON text; lone surrogate escapes become U+FFFD.

    Raises ``ValueError`` (``json.JSONDecodeError``) for text that is not one JSON document.

    ``pydantic_core.from_json`` first (-13 % per event): it accepts a strict subset of what
    ``json.loads`` accepts (it refuses lone surrogates, nesting past 200 and everything
    ``json.loads`` refuses), and returns the same values for what it accepts; anything it
    refuses takes the standard library's path below, so the result, the lone-surrogate rule and
    the error raised are exactly those of ``json.loads``.
    """
    try:
        return _from_json(data, cache_strings="keys")
    except ValueError:
        pass
    try:
        obj, end = _scan_once(data, 0)
    except (StopIteration, ValueError):
        obj, end = _loads(data), len(data)
    if end != len(data) and data[end:].strip(_JSON_SPACE):
        obj = _loads(data)  # raises: trailing garbage (JSON whitespace is only " \t\n\r")
    if "\\u" in data and _SURROGATE_ESCAPE.search(data) is not None:
        return _fix_strings(obj)
    return obj


class StreamDecoder(Protocol):
    """Turns the frames of one response body into ``RawEvent`` items."""

    def feed(self, event: str, data: str) -> list[RawEvent]:
        """One frame: the SSE ``event:`` name (``""`` when absent) and its ``data`` text."""
        ...

    def eof(self) -> list[RawEvent]:
        """The body ended cleanly: the closing items, or raise ``StreamTruncatedError``."""
        ...
