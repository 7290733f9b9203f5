"""The settings of the HTTP shell: base URL, time limits, size limits and the framing of a body.

Kept apart from ``core/http.py`` (which re-exports them) so the shell module stays about the
request's life, not its configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, Protocol
from urllib.parse import urlsplit

from llmport.core.ndjson import NDJSONFramer
from llmport.core.sse import DEFAULT_MAX_EVENT_BYTES, Frame, SSEFramer

__all__ = [
    "DEFAULT_MAX_STREAM_BYTES",
    "Framer",
    "Framing",
    "Limits",
    "Timeouts",
    "check_base_url",
    "make_framer",
]

DEFAULT_MAX_STREAM_BYTES: Final = 256 * 1024 * 1024


def check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash, or ``ValueError`` for one unsafe to send keys to.

    Only http(s); no credentials in the URL (they would leak into error messages and logs);
    no query or fragment (keys go in headers, never in URLs); a valid port and no space or
    control character (else the first request fails outside the ``LlmError`` taxonomy).
    """
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in base_url):
        raise ValueError("base_url must not contain a space or control character")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {parts.scheme or 'no'} scheme")
    if parts.username or parts.password:
        raise ValueError("base_url must not contain credentials; pass api_key= instead")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not carry a query or fragment (keys go in headers)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("base_url has an invalid port (1-65535)")
    return base_url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; ``deadline`` (None: no total limit) bounds the whole request, retries included."""

    connect: float = 5.0
    first_event: float = 600.0
    idle: float = 120.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "first_event", "idle"):
            if getattr(self, name) <= 0:
                raise ValueError(f"timeout {name} must be > 0")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be > 0 (or None)")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of a response, in bytes."""

    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES
    max_error_body_bytes: int = 64 * 1024


class Framer(Protocol):
    """Cuts a body into frames: SSE events, NDJSON lines (later: Gemini's JSON array)."""

    def feed(self, chunk: bytes) -> list[Frame]: ...

    def close(self) -> list[Frame]: ...


Framing = Literal["sse", "ndjson", "json-array"] | Callable[[int], Framer]
"""``"sse"``, ``"ndjson"``, ``"json-array"``, or a factory ``(max_event_bytes) -> Framer``."""


def make_framer(framing: Framing, max_event_bytes: int) -> Framer:
    if framing == "sse":
        return SSEFramer(max_event_bytes=max_event_bytes)
    if framing == "ndjson":
        return NDJSONFramer(max_event_bytes=max_event_bytes)
    if framing == "json-array":
        from llmport.core.json_array import JSONArrayFramer

        return JSONArrayFramer(max_event_bytes=max_event_bytes)
    if callable(framing):
        return framing(max_event_bytes)
    raise ValueError(f"unknown framing {framing!r}")
