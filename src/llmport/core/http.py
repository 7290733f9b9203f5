"""The HTTP shell every HTTP adapter shares: send, retry, time out, frame, decode.

This module holds the shell and its configuration; one request's life (attempts, the watchdog,
reading, framing, decoding) is ``core/http_source.py``.

An adapter owns one :class:`HttpShell` (one HTTP client behind the transport seam of
``core/transport.py``: httpx2 by default, httpx or aiohttp, injectable) and, per turn,
calls ``await shell.stream(url=..., body=..., decoder_factory=...)``. That returns once a 2xx
response has started, with the retries before it done, as an :class:`HttpEventSource`: the
async iterator of ``RawEvent`` the adapter hands to ``guard()``.

What the shell guarantees, so that no adapter has to:

- **Retries before output only.** HTTP errors are retried per ``RetryPolicy`` (statuses,
  ``x-should-retry``, ``Retry-After``); so are connection failures and, while no delta has been
  yielded yet, a reset body or a retryable in-band error the decoder raises (Anthropic's
  ``overloaded_error`` as the first event). Once a delta (or a provider-side block) was
  decoded, never: output is never duplicated. ``retries_taken`` counts them.
- **Typed timeouts.** connect (``TimeoutConnectError``), the first frame after the request was
  sent (``TimeoutFirstEventError``), the gap between two reads (``TimeoutIdleError``: any bytes,
  comments and pings included, count as activity), and an optional total ``deadline``
  (``TimeoutDeadlineError``) that also bounds retries and their sleeps.
- **Size limits.** ``max_event_bytes`` per SSE event / NDJSON line (memory bounded on an endless
  line) and ``max_stream_bytes`` per body: ``StreamTooLargeError``.
- **Error bodies** read (bounded, secrets scrubbed) and mapped by the adapter's ``ErrorMapper``.
- **Keys** come in ``secret_headers`` as ``Secret`` values, revealed only into the request;
  they never appear in a repr, a log line or an error. Redirects are never followed.
- **Cancellation** (``aclose()``, or the consumer's task cancelled) closes the response at once.

The per-chunk path (read, frame, decode, hand out) is kept short: it is the cost per event.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from llmport.core.decoding import StreamDecoder
from llmport.core.errors_map import ErrorMapper, default_error_mapper
from llmport.core.http_settings import (
    Framer,
    Framing,
    Limits,
    Timeouts,
)
from llmport.core.http_source import HttpEventSource
from llmport.core.retry import RetryPolicy
from llmport.core.secrets import (
    SENSITIVE_HEADERS,
    Secret,
    install_log_redaction,
    redact_headers,
)
from llmport.core.transport import Transport, make_transport

__all__ = [
    "Framer",
    "Framing",
    "HttpEventSource",
    "HttpShell",
    "Limits",
    "Timeouts",
]

# What h11 accepts in a header value: visible ASCII, inner spaces or tabs, nothing around.
_HEADER_VALUE: Final = re.compile(r"(?:[!-~]+(?:[ \t]+[!-~]+)*)?")


def _check_header_value(name: str, value: str) -> None:
    """Refuse, when the shell is built, a value httpx/h11 would refuse at the first request.

    Their error quotes the value (a key read from a file with its newline would be shown in the
    error chain) or escapes as a bare ``UnicodeEncodeError``; this message never shows it.
    """
    if not _HEADER_VALUE.fullmatch(value):
        raise ValueError(
            f"the value of header {name!r} is not a valid HTTP header value (a control "
            "character, a newline, surrounding spaces or a non-ASCII character; a key read "
            "from a file with its newline?)"
        )


class HttpShell:
    """One adapter's HTTP machinery: client, settings, credentials, error mapping."""

    def __init__(
        self,
        *,
        provider: str,
        http_client: Any = None,
        transport: str | Transport | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        error_mapper: ErrorMapper = default_error_mapper,
        headers: Mapping[str, str] | None = None,
        secret_headers: Mapping[str, Secret] | None = None,
    ) -> None:
        self.provider = provider
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.limits = limits or Limits()
        self.error_mapper = error_mapper
        self._headers: dict[str, str] = {}
        self._secret_headers = dict(secret_headers or {})
        for name, text in (headers or {}).items():
            if text and name.lower() in SENSITIVE_HEADERS:
                # A credential passed as a plain header (Azure's ``api-key`` in extra_headers)
                # gets the same care as a key: scrubbed from error bodies and log lines.
                self._secret_headers.setdefault(name, Secret(text))
            else:
                self._headers[name] = text
        for name, value in self._secret_headers.items():
            if not isinstance(value, Secret):
                raise TypeError(f"secret header {name!r} must be a Secret")
            _check_header_value(name, value.reveal())
        for name, text in self._headers.items():
            _check_header_value(name, text)
        self._secrets = tuple(self._secret_headers.values())
        self.transport: Transport = make_transport(
            transport, http_client=http_client, connect_timeout=self.timeouts.connect
        )
        """How requests are sent (``http_client=`` wrapped, or one built by name on first use)."""
        self.retries_taken = 0
        """Retries of the last stream opened (HTTP and in-band ones)."""
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        """How the shell waits between retries (tests replace it to record the waits)."""
        install_log_redaction()

    def __repr__(self) -> str:
        return f"<HttpShell provider={self.provider!r} headers={self.redacted_headers()!r}>"

    def redacted_headers(self) -> dict[str, str]:
        """The headers sent with every request, credentials masked."""
        return redact_headers({**self._headers, **self._secret_headers})

    @property
    def client(self) -> Any:
        """The transport's client (``httpx2.AsyncClient`` by default; created on first use
        unless one was injected)."""
        return self.transport.client

    async def aclose(self) -> None:
        """Close the client if the shell created it (an injected one is the caller's)."""
        await self.transport.aclose()

    def build_headers(
        self, extra: Mapping[str, str] | None = None, *, accept: str = "text/event-stream"
    ) -> dict[str, str]:
        headers = {"accept": accept, **self._headers}
        if extra:
            headers.update(extra)
        for name, secret in self._secret_headers.items():
            headers[name] = secret.reveal()
        return headers

    async def stream(
        self,
        *,
        url: str,
        body: bytes,
        decoder_factory: Callable[[], StreamDecoder],
        framing: Framing = "sse",
        framing_for: Callable[[str], Framing] | None = None,
        accept: str = "text/event-stream",
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> HttpEventSource:
        """Send the request; return the event source once a 2xx response has started.

        ``framing_for``, when given, picks the framing from the response's content type.
        ``accept`` is the media type asked for (``application/x-ndjson`` for NDJSON wires).
        Raises the mapped ``LlmError`` when the request fails (after its retries).
        """
        self.retries_taken = 0
        source = HttpEventSource(
            self,
            method=method,
            url=url,
            body=body,
            headers=self.build_headers(headers, accept=accept),
            decoder_factory=decoder_factory,
            framing=framing,
            framing_for=framing_for,
        )
        await source.start()
        return source
