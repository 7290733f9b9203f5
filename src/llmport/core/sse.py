"""Server-sent events framing, sans-IO: bytes in, ``(event, data)`` frames out.

Every streaming LLM wire but Ollama's and Gemini's JSON array is SSE, so this is the hot path of
almost every adapter: it works on ``bytes`` (a UTF-8 multi-byte sequence never contains CR or
LF, so lines can be cut before decoding) and decodes only the field values it hands out.

It follows the WHATWG event-stream rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

- lines end with LF, CR or CRLF, also when the CR and the LF arrive in different chunks;
- a leading UTF-8 BOM is dropped (even when split across chunks);
- ``:`` lines are comments; ``event``/``data``/``id``/``retry`` are the fields; one space after
  the colon is removed; unknown fields are ignored; several ``data`` lines join with ``\\n``;
- a blank line dispatches the event, but only when it has data (an ``event: ping`` with no
  data is not an event);
- an event still open at EOF (no blank line after it) is dropped (``close()`` returns nothing).

Invalid UTF-8 is replaced with U+FFFD, as the standard says. Memory is bounded: a line or an
event larger than ``max_event_bytes`` raises ``StreamTooLargeError`` as soon as it passes the
limit, even if the line never ends.
"""

from __future__ import annotations

import re
from typing import Final

from llmport.domain.errors import StreamTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "Frame", "SSEFramer"]

DEFAULT_MAX_EVENT_BYTES: Final = 16 * 1024 * 1024
"""16 MiB: the largest SSE event (or line) accepted."""

Frame = tuple[str, str]
"""One decoded frame: the SSE event name (``""`` when the event had no ``event:`` field) and
its data. NDJSON lines are frames with the name ``""`` too, so a decoder sees one shape."""

_BOM: Final = b"\xef\xbb\xbf"
_COLLAPSE_FROM: Final = 2048
_BLANK_RUN: Final = re.compile(rb"(?:\r\n|\r|\n){3,}")
_MANY_BLOCKS: Final = 64


class SSEFramer:
    """Incremental SSE parser for one response body.

    ``feed(chunk)`` returns the frames completed by ``chunk``; ``close()`` ends the body.
    ``last_event_id`` and ``retry`` keep the last ``id:`` and ``retry:`` values seen, and
    ``comments`` counts comment lines (keep-alives such as ``: OPENROUTER PROCESSING``).
    """

    __slots__ = (
        "_bom_pending",
        "_cr",
        "_data",
        "_event",
        "_event_size",
        "_partial",
        "_partial_size",
        "comments",
        "last_event_id",
        "max_event_bytes",
        "retry",
    )

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.last_event_id = ""
        self.retry: int | None = None
        self.comments = 0
        # None once the start of the stream has been checked for a BOM; bytes while undecided.
        self._bom_pending: bytes | None = b""
        self._cr = False  # the last chunk ended with CR: an LF starting the next one is its pair
        self._partial: list[bytes] = []  # pieces of a line that has not ended yet
        self._partial_size = 0
        self._data: list[bytes] = []  # the data lines of the event being read
        self._event = b""
        self._event_size = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        """The frames that ``chunk`` completes (often none, often one, sometimes many)."""
        if self._bom_pending is not None:
            chunk = self._bom_pending + chunk
            if len(chunk) < 3 and _BOM.startswith(chunk):
                self._bom_pending = chunk
                return []
            self._bom_pending = None
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        if self._cr:
            self._cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not chunk:
            return []
        last = chunk.rfind(b"\n")
        last_cr = chunk.rfind(b"\r")
        last = max(last, last_cr)
        if last < 0:
            self._keep_partial(chunk)
            return []
        if last_cr == last == len(chunk) - 1:
            self._cr = True
        head = chunk[: last + 1]
        tail = chunk[last + 1 :]
        if self._partial:
            self._partial.append(head)
            head = b"".join(self._partial)
            self._partial.clear()
            self._partial_size = 0
        if tail:
            self._keep_partial(tail)
        if len(head) > _COLLAPSE_FROM:
            # A large read (a bulk body, a fast model). Small ones, a live stream's, take the
            # line loop below, cheaper for one event, and cannot hold many blank lines anyway.
            if not (self._data or self._event) and head[-2:] == b"\n\n" and b"\r" not in head:
                return self._blocks(head)  # whole events, LF only: cut out in C
            if b"\n\n\n" in head or b"\r\r\r" in head or b"\r\n\r\n\r\n" in head:
                # Runs of blank lines mean no more than one: collapsed in C, they cost nothing
                # (a body of millions of them would otherwise be a Python loop per line).
                head = _BLANK_RUN.sub(b"\n\n", head)
        return self._lines(head.splitlines())

    def close(self) -> list[Frame]:
        """The body ended: an event without its blank line is dropped, per the standard."""
        self._partial.clear()
        self._partial_size = 0
        self._data = []
        self._event = b""
        self._event_size = 0
        return []

    # --- internals ---------------------------------------------------------------------------

    def _keep_partial(self, piece: bytes) -> None:
        self._partial.append(piece)
        self._partial_size += len(piece)
        if self._partial_size + self._event_size > self.max_event_bytes:
            self._partial.clear()
            raise StreamTooLargeError(f"an SSE line is larger than {self.max_event_bytes} bytes")

    def _blocks(self, head: bytes) -> list[Frame]:
        """Whole events, LF only (``head`` starts at an event and ends with a blank line): an
        event that is one ``data: `` line is cut out in C, any other goes through ``_lines``.
        The common stream (one data line per event) never loops per line here, and pays no
        scan for blank-line runs: a run shows up as empty blocks, counted in C."""
        limit = self.max_event_bytes
        blocks = head.split(b"\n\n")
        blocks.pop()  # the empty piece after the last blank line
        if len(blocks) > _MANY_BLOCKS and blocks.count(b"") * 2 > len(blocks):
            blocks = _BLANK_RUN.sub(b"\n\n", head).split(b"\n\n")  # mostly blank lines
            blocks.pop()
        frames: list[Frame] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block and len(block) <= limit:
                frames.append(("", block[6:].decode("utf-8", "replace")))
            elif block:
                frames += self._lines([*block.split(b"\n"), b""])
        return frames

    def _lines(self, lines: list[bytes]) -> list[Frame]:
        frames: list[Frame] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    if len(data) == 1:
                        text = data[0].decode("utf-8", "replace")
                    else:
                        text = b"\n".join(data).decode("utf-8", "replace")
                    event = self._event.decode("utf-8", "replace") if self._event else ""
                    frames.append((event, text))
                    data = self._data = []
                self._event = b""
                self._event_size = 0
                continue
            self._event_size += len(line)
            if self._event_size > self.max_event_bytes:
                raise StreamTooLargeError(
                    f"an SSE event is larger than {self.max_event_bytes} bytes"
                )
            if line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
                continue
            if line[0] == 0x3A:  # ":" comment / keep-alive
                self.comments += 1
                continue
            name, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
            if name == b"event":
                self._event = value
            elif name == b"data":  # "data" with no colon: an empty data line
                data.append(value)
            elif name == b"id":
                if b"\0" not in value:
                    self.last_event_id = value.decode("utf-8", "replace")
            elif name == b"retry" and value.isdigit():  # bytes.isdigit: ASCII digits only
                self.retry = int(value)
            # any other field is ignored
        return frames
