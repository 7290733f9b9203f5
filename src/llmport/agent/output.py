"""Turning whatever a tool returned into the bounded text the model gets back.

Tool output is untrusted and unbounded: a tool may return a dataclass, a pydantic model, bytes,
a cyclic structure or a 1 GB string. The model always gets text, at most ``MAX_OUTPUT_CHARS``
characters (64 KiB), with a marker saying how much was cut. What cannot be shown at all becomes
``ToolOutputError``, which the registry reports as an error result.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Final

__all__ = ["MAX_ERROR_CHARS", "MAX_OUTPUT_CHARS", "ToolOutputError", "cap", "serialize_output"]

MAX_OUTPUT_CHARS: Final = 64 * 1024
MAX_ERROR_CHARS: Final = 500


class ToolOutputError(Exception):
    """A tool's output could not be turned into text."""


def cap(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how much was dropped."""
    if len(text) <= limit:
        return text
    dropped = len(text) - limit
    marker = f"\n...[truncated {dropped} characters]"
    return text[: max(0, limit - len(marker))] + marker


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    dump = getattr(value, "model_dump", None)  # pydantic models, without importing pydantic
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def serialize_output(value: Any) -> str:
    """The text the model sees for a tool's return value (capped)."""
    if isinstance(value, str):
        return cap(value)
    if value is None:
        return cap("null")
    try:
        text = json.dumps(value, default=_default, ensure_ascii=False)
    except Exception:
        # Cyclic, or a value whose own conversion fails: fall back to the object's repr.
        try:
            text = repr(value)
        except Exception as error:
            raise ToolOutputError(
                f"the tool returned a {type(value).__name__} that cannot be shown as text"
            ) from error
    return cap(text)
