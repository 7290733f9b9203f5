"""Turning whatever a tool returned into the bounded text the model gets back.

Tool output is untrusted and unbounded: a tool may return a dataclass, a pydantic model, bytes,
a cyclic structure or a 1 GB string. The model always gets text, at most ``MAX_OUTPUT_BYTES``
(64 KiB) once encoded as UTF-8, with a marker saying how much was cut. What cannot be shown at
all becomes ``ToolOutputError``, which the registry reports as an error result.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Final

__all__ = ["MAX_ERROR_BYTES", "MAX_OUTPUT_BYTES", "ToolOutputError", "cap", "serialize_output"]

MAX_OUTPUT_BYTES: Final = 64 * 1024
MAX_ERROR_BYTES: Final = 500


class ToolOutputError(Exception):
    """A tool's output could not be turned into text."""


def cap(text: str, limit: int = MAX_OUTPUT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, with a marker saying how much was dropped.

    Bytes, not characters: 64 Ki CJK characters would be 192 KiB on the wire to the model.
    """
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes
        return text
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= limit:
        return text
    marker = f"\n...[truncated: {len(raw)} bytes in all]"
    keep = raw[: max(0, limit - len(marker))]
    # A multi-byte character cut in half is dropped whole.
    return keep.decode("utf-8", "ignore") + marker


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
