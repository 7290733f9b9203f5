"""The sans-IO decoder interface every wire implements.

A decoder is fed the frames of one response body (an SSE event's name and data, or one NDJSON
line with ``event=""``) and returns the ``RawEvent`` items they mean. It does no I/O, so it is
tested by feeding it frames, and the HTTP shell that reads the bytes is shared by all wires.

``feed`` raises a typed ``LlmError`` for a frame that reports or breaks something
(``StreamInBandError`` for a provider error event, ``StreamProtocolError`` for undecodable JSON
or an impossible event order). ``eof`` is called when the body ended cleanly: it returns the
closing items (``END``) when what was seen counts as a complete response, and raises
``StreamTruncatedError`` otherwise.
"""

from __future__ import annotations

from typing import Protocol

from llmport.core.raw import RawEvent

__all__ = ["StreamDecoder"]


class StreamDecoder(Protocol):
    """Turns the frames of one response body into ``RawEvent`` items."""

    def feed(self, event: str, data: str) -> list[RawEvent]:
        """One frame: the SSE ``event:`` name (``""`` when absent) and its ``data`` text."""
        ...

    def eof(self) -> list[RawEvent]:
        """The body ended cleanly: the closing items, or raise ``StreamTruncatedError``."""
        ...
