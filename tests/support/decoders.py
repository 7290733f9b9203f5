"""A minimal wire for testing the HTTP shell without any vendor's codec.

``data: {"t": "..."}`` is a text delta, ``{"r": "..."}`` reasoning, ``{"u": n}`` usage,
``{"error": {"message", "retryable"}}`` an in-band error, ``[DONE]`` the end marker.
"""

from __future__ import annotations

import json

from llmport.core.raw import END, RawEvent
from llmport.domain.errors import (
    ErrorCategory,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import ReasoningDelta, TextDelta, Usage


class TinyDecoder:
    def __init__(self) -> None:
        self.done = False
        self.frames: list[tuple[str, str]] = []

    def feed(self, event: str, data: str) -> list[RawEvent]:
        self.frames.append((event, data))
        if data == "[DONE]":
            self.done = True
            return [END]
        try:
            obj = json.loads(data)
        except ValueError:
            raise StreamProtocolError("bad JSON") from None
        if "error" in obj:
            err = obj["error"]
            raise StreamInBandError(
                err.get("message", "error"),
                in_band_category=ErrorCategory.OVERLOADED,
                retryable=bool(err.get("retryable")),
            )
        out: list[RawEvent] = []
        if "t" in obj:
            out.append(TextDelta(obj["t"]))
        if "r" in obj:
            out.append(ReasoningDelta(obj["r"]))
        if "u" in obj:
            out.append(Usage(output_tokens=obj["u"]))
        return out

    def eof(self) -> list[RawEvent]:
        if self.done:
            return []
        raise StreamTruncatedError("no [DONE]")


def chunks(*items: str | dict[str, object], done: bool = True) -> list[bytes]:
    out = [f"data: {json.dumps(i) if isinstance(i, dict) else i}\n\n".encode() for i in items]
    if done:
        out.append(b"data: [DONE]\n\n")
    return out
