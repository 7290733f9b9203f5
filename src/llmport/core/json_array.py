"""JSON-array framing, sans-IO: a body that is one JSON array written incrementally, one frame
per element.

Gemini without ``alt=sse`` streams ``[{...}\\r\\n,{...}\\n]``, each element pretty-printed over
many lines (``application/json``). The framer tracks nesting depth and strings (escapes
included) byte by byte, only as far as it must: it hands out each top-level element's text as
the frame ``("", text)`` as soon as the element closes, the same shape as an SSE frame, so
decoders and the HTTP shell treat every framing alike. Separators, whitespace and the brackets
are not frames. An element cut by the end of the body is dropped (the decoder's ``eof`` decides
whether what came is complete); an element over ``max_event_bytes`` is a
``StreamTooLargeError`` as soon as it passes the limit.
"""

from __future__ import annotations

from typing import Final

from llmport.core.sse import DEFAULT_MAX_EVENT_BYTES, Frame
from llmport.domain.errors import StreamProtocolError, StreamTooLargeError

__all__ = ["JSONArrayFramer"]

_OPEN: Final = frozenset(b"{[")
_CLOSE: Final = frozenset(b"}]")
_QUOTE: Final = 0x22
_BACKSLASH: Final = 0x5C
_SPACE: Final = frozenset(b" \t\r\n,")
_BOM: Final = frozenset(b"\xef\xbb\xbf")


class JSONArrayFramer:
    """Incremental splitter of one streamed JSON array into its elements."""

    __slots__ = ("_depth", "_element", "_escape", "_size", "_started", "_string", "max_event_bytes")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._started = False  # the array's "[" was seen
        self._depth = 0  # nesting inside the current element
        self._string = False
        self._escape = False
        self._element: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0 if self._depth else None
        i, n = 0, len(chunk)
        while i < n:
            byte = chunk[i]
            if self._depth == 0:
                if not self._started:
                    if byte == 0x5B:  # "["
                        self._started = True
                    elif byte == 0x7B:  # a bare object (an error body): one element
                        self._started = True
                        continue
                    elif byte not in _SPACE and byte not in _BOM:
                        raise StreamProtocolError("the body is not a JSON array")
                    i += 1
                    continue
                if byte in _SPACE or byte == 0x5D:  # separators and the closing "]"
                    i += 1
                    continue
                if byte not in _OPEN:
                    raise StreamProtocolError("a JSON array element is not an object or array")
                self._depth = 1
                start = i
                i += 1
                continue
            if self._string:
                # Jump to the next quote or backslash: string bodies are most of the bytes.
                j = i
                while j < n:
                    c = chunk[j]
                    if self._escape:
                        self._escape = False
                    elif c == _BACKSLASH:
                        self._escape = True
                    elif c == _QUOTE:
                        self._string = False
                        break
                    j += 1
                i = j + 1
                continue
            if byte == _QUOTE:
                self._string = True
            elif byte in _OPEN:
                self._depth += 1
            elif byte in _CLOSE:
                self._depth -= 1
                if self._depth == 0:
                    assert start is not None
                    self._take(chunk[start : i + 1])
                    text = b"".join(self._element).decode("utf-8", "replace")
                    self._element.clear()
                    self._size = 0
                    frames.append(("", text))
                    start = None
            i += 1
        if self._depth and start is not None:
            self._take(chunk[start:])
        return frames

    def close(self) -> list[Frame]:
        """The body ended: an element it cut is dropped."""
        self._element.clear()
        self._size = 0
        self._depth = 0
        return []

    def _take(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self.max_event_bytes:
            self._element.clear()
            raise StreamTooLargeError(
                f"a JSON array element is larger than {self.max_event_bytes} bytes"
            )
        self._element.append(piece)
