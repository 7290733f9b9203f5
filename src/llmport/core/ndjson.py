"""Newline-delimited JSON framing, sans-IO: bytes in, one frame per line out.

Ollama's native API streams one JSON object per ``\\n``-terminated line. The framer cuts the
bytes into lines (a trailing CR is dropped, blank lines are skipped) and hands each one out as
the frame ``("", line)``, the same shape as an SSE frame without an event name, so decoders and
the HTTP shell treat both framings alike.

A last line without its newline at EOF is handed out by ``close()``: whether it is a complete
object is the decoder's call (a cut line fails to parse and is reported, never guessed at).
Memory is bounded: a line longer than ``max_line_bytes`` raises ``StreamTooLargeError`` as soon
as it passes the limit, even if it never ends.
"""

from __future__ import annotations

import re
from typing import Final

from llmport.core.sse import DEFAULT_MAX_EVENT_BYTES, Frame
from llmport.domain.errors import StreamTooLargeError

__all__ = ["NDJSONFramer"]

_BLANK_RUN: Final = re.compile(rb"\n(?:[ \t\r]*\n)+")


class NDJSONFramer:
    """Incremental NDJSON line splitter for one response body."""

    __slots__ = ("_partial", "_partial_size", "max_line_bytes")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_line_bytes = max_event_bytes
        self._partial: list[bytes] = []
        self._partial_size = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        """The lines that ``chunk`` completes."""
        last = chunk.rfind(b"\n")
        if last < 0:
            self._keep(chunk)
            return []
        head = chunk[:last]
        tail = chunk[last + 1 :]
        if self._partial:
            self._partial.append(head)
            head = b"".join(self._partial)
            self._partial.clear()
            self._partial_size = 0
        if tail:
            self._keep(tail)
        if len(head) > 2048 and b"\n\n" in head:
            head = _BLANK_RUN.sub(b"\n", head)  # blank lines cost nothing (collapsed in C)
        frames: list[Frame] = []
        limit = self.max_line_bytes
        for raw in head.split(b"\n"):
            if len(raw) > limit:
                raise StreamTooLargeError(f"an NDJSON line is larger than {limit} bytes")
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if line.strip():
                frames.append(("", line.decode("utf-8", "replace")))
        return frames

    def close(self) -> list[Frame]:
        """The body ended: a last line without its newline, if there is one."""
        line = b"".join(self._partial).removesuffix(b"\r")
        self._partial.clear()
        self._partial_size = 0
        return [("", line.decode("utf-8", "replace"))] if line.strip() else []

    def _keep(self, piece: bytes) -> None:
        if not piece:
            return
        self._partial.append(piece)
        self._partial_size += len(piece)
        if self._partial_size > self.max_line_bytes:
            self._partial.clear()
            self._partial_size = 0
            raise StreamTooLargeError(f"an NDJSON line is larger than {self.max_line_bytes} bytes")
