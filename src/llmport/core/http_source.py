"""One request's life in the HTTP shell: attempts, retries before output, timeouts, reading.

``HttpShell.stream`` builds an :class:`HttpEventSource` and awaits its ``start()``: the first
attempt and the retries before a 2xx response has started. Iterating it then reads the body,
frames it (SSE or NDJSON), hands each frame to the adapter's sans-IO decoder and yields the
``RawEvent`` items for ``guard()``. While no delta has been decoded yet, a reset or a retryable
in-band error is retried transparently; after one, never.

Timeouts (first event, idle, total deadline) are enforced by one watchdog timer per stream,
re-armed lazily from the time of the last read, not by a timeout context per read: that costs
a float store per chunk instead of a timer handle (this is the hot path of every event).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from llmport.core.decoding import StreamDecoder
from llmport.core.http_failures import (
    Failure,
    http_failure,
    read_error_body,
    retry_wait,
    retryable_before_output,
    timeout_error,
    transport_error,
)
from llmport.core.http_settings import (
    Framer,
    Framing,
    make_framer,
)
from llmport.core.inflate import BOUNDED_ENCODINGS, bounded_inflate
from llmport.core.raw import End, ProviderBlock, RawEvent, RefusalDelta
from llmport.core.secrets import (
    redact_headers,
    scrub_error,
    scrub_value,
)
from llmport.core.transport import TransportResponse
from llmport.domain.errors import (
    LlmError,
    StreamInBandError,
    StreamTooLargeError,
)
from llmport.domain.events import ReasoningDelta, TextDelta, ToolCallDelta

if TYPE_CHECKING:
    from llmport.core.http import HttpShell

__all__ = ["HttpEventSource"]

_log = logging.getLogger("llmport.http")

# What a retry would duplicate: the deltas, and provider-side blocks (a server tool that ran,
# was billed, and went to the guard's assembler before any delta).
_DELTAS: Final = (TextDelta, ReasoningDelta, ToolCallDelta, RefusalDelta, ProviderBlock)
_DRAIN_BYTES: Final = 64 * 1024
_DRAIN_SECONDS: Final = 0.1
_FIRST: Final = 0
_IDLE: Final = 1
_DEADLINE: Final = 2
_NEVER: Final = float("inf")
_current_task = asyncio.current_task


class HttpEventSource:
    """The ``RawEvent`` stream of one request; give it to ``guard()``.

    An async iterator with ``aclose()``: closing it (or cancelling the task reading it) closes
    the HTTP response at once.
    """

    __slots__ = (
        "_body",
        "_chunks",
        "_deadline_at",
        "_decoder",
        "_decoder_factory",
        "_delta_seen",
        "_ended",
        "_error",
        "_errors",
        "_expiry",
        "_expiry_kind",
        "_finished",
        "_fired",
        "_first_at",
        "_framer",
        "_framing",
        "_framing_for",
        "_got_frame",
        "_headers",
        "_idle",
        "_loop",
        "_max_stream",
        "_method",
        "_pending",
        "_pos",
        "_reader",
        "_reading",
        "_received",
        "_response",
        "_secrets",
        "_shell",
        "_time",
        "_timer",
        "_timer_at",
        "_transport",
        "_url",
        "retries_taken",
        "status_code",
    )

    def __init__(
        self,
        shell: HttpShell,
        *,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        decoder_factory: Callable[[], StreamDecoder],
        framing: Framing,
        framing_for: Callable[[str], Framing] | None = None,
    ) -> None:
        self._shell = shell
        self._method = method
        self._url = url
        self._body = body
        self._headers = headers
        self._decoder_factory = decoder_factory
        self._framing = framing
        self._framing_for = framing_for
        self._loop = asyncio.get_running_loop()
        deadline = shell.timeouts.deadline
        self._deadline_at = None if deadline is None else self._loop.time() + deadline
        transport = self._transport = shell.transport
        self._errors = transport.errors
        self._response: TransportResponse | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._decoder: StreamDecoder | None = None
        self._framer: Framer | None = None
        self._pending: list[RawEvent] = []
        self._pos = 0
        self._error: LlmError | None = None
        self._finished = False
        self._delta_seen = False
        self._ended = False
        self._got_frame = False
        self._received = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = _NEVER
        # Read per chunk, so kept here rather than looked up through the shell each time.
        self._time = self._loop.time
        self._idle = shell.timeouts.idle
        self._max_stream = shell.limits.max_stream_bytes
        self._secrets = shell._secrets
        self._reader: asyncio.Task[Any] | None = None
        self._reading = False
        self._fired = False
        self._expiry = 0.0
        self._expiry_kind = _FIRST
        self._first_at = 0.0
        self.retries_taken = 0
        self.status_code: int | None = None

    def __repr__(self) -> str:
        host = urlsplit(self._url).netloc
        return f"<HttpEventSource {self._method} {host} status={self.status_code}>"

    # --- starting (with retries) ---------------------------------------------------------------

    async def start(self) -> None:
        """Send until a 2xx response has started, retrying per the policy."""
        while True:
            failure = await self._attempt()
            if failure is None:
                return
            await self._back_off(failure)

    async def _back_off(self, failure: Failure) -> None:
        """Sleep before the next attempt, or raise the failure's error when it must not be
        retried (the decision is ``retry_wait``'s)."""
        await self._close_response()
        shell = self._shell
        wait = retry_wait(
            failure,
            policy=shell.retry,
            retries_taken=self.retries_taken,
            now=self._loop.time(),
            deadline_at=self._deadline_at,
        )
        if wait is None:
            raise failure.error
        self.retries_taken += 1
        shell.retries_taken = self.retries_taken  # the adapter's "most recent call" mirror
        _log.info(
            "%s: retry %d/%d in %.2fs after %s",
            shell.provider,
            self.retries_taken,
            shell.retry.max_retries,
            wait,
            type(failure.error).__name__,
        )
        await shell.sleep(wait)

    def _first_event_limit(self) -> tuple[float, bool]:
        """(when, is_deadline) for the phase before the first frame."""
        when = self._loop.time() + self._shell.timeouts.first_event
        deadline = self._deadline_at
        if deadline is not None and deadline <= when:
            return deadline, True
        return when, False

    async def _attempt(self) -> Failure | None:
        """One attempt: None once a 2xx response has started, else what went wrong."""
        shell = self._shell
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s: %s %s headers=%s",
                shell.provider,
                self._method,
                self._url,
                redact_headers(self._headers),
            )
        when, is_deadline = self._first_event_limit()
        self._first_at = when
        failure: Failure | None = None
        try:
            async with asyncio.timeout_at(when):
                try:
                    response = await self._transport.send(
                        self._method,
                        self._url,
                        headers=self._headers,
                        body=self._body,
                        connect_timeout=shell.timeouts.connect,
                    )
                except self._errors as error:
                    # Inside the timeout: aiohttp's own timeouts are TimeoutError subclasses.
                    failure = Failure(self._transport_error(error, during="sending the request"))
        except TimeoutError:
            return Failure(self._timeout(is_deadline, first=True))
        if failure is not None:
            return failure
        self._response = response
        self.status_code = response.status_code
        if 200 <= response.status_code < 300:
            self._shell.retries_taken = self.retries_taken
            self._chunks = self._body_chunks(response)
            self._decoder = self._decoder_factory()
            framing = self._framing
            if self._framing_for is not None:
                # The wire frames by content type (Gemini: SSE with alt=sse, else a JSON array).
                framing = self._framing_for(response.headers.get("content-type", ""))
            self._framer = make_framer(framing, shell.limits.max_event_bytes)
            self._pending = []
            self._pos = 0
            self._got_frame = False
            self._received = 0
            return None
        until = self._loop.time() + min(shell.timeouts.idle, 30.0)
        if self._deadline_at is not None:
            until = min(until, self._deadline_at)
        try:
            body = await read_error_body(
                self._body_chunks(response),
                shell.limits.max_error_body_bytes,
                until,
                self._errors,
            )
        finally:
            await self._close_response()
        return http_failure(shell, response.status_code, response.headers, body)

    @staticmethod
    def _body_chunks(response: TransportResponse) -> AsyncIterator[bytes]:
        """The body as the framer needs it: as sent when not encoded, gzip and deflate inflated
        here in bounded steps (a small compressed read cannot become a huge one), any other
        encoding left to the client's decoder."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "identity":
            return response.body(decoded=False)
        if encoding in BOUNDED_ENCODINGS:
            return bounded_inflate(response.body(decoded=False), encoding)
        return response.body(decoded=True)

    def _transport_error(self, error: BaseException, *, during: str) -> LlmError:
        return transport_error(
            self._transport.classify(error),
            type(error).__name__,
            host=urlsplit(self._url).netloc,
            provider=self._shell.provider,
            connect=self._shell.timeouts.connect,
            during=during,
        )

    def _timeout(self, is_deadline: bool, *, first: bool) -> LlmError:
        return timeout_error(
            self._shell.timeouts, self._shell.provider, is_deadline=is_deadline, first=first
        )

    # --- reading -------------------------------------------------------------------------------

    def __aiter__(self) -> HttpEventSource:
        return self

    async def __anext__(self) -> RawEvent:
        while True:
            pos = self._pos
            pending = self._pending
            if pos < len(pending):
                self._pos = pos + 1
                return pending[pos]
            if self._error is not None:
                error, self._error = self._error, None
                self._finished = True
                await self._close_response()
                raise error
            if self._finished:
                raise StopAsyncIteration
            await self._fill()

    async def _fill(self) -> None:
        """Read one chunk and decode what it completes into ``_pending`` (one list per chunk)."""
        try:
            chunk = await self._read()
        except LlmError as error:
            if not self._delta_seen and retryable_before_output(error):
                await self._retry(error)
                return
            raise
        framer = self._framer
        decoder = self._decoder
        assert framer is not None
        assert decoder is not None
        events: list[RawEvent] = []
        try:
            if chunk is None:
                self._finished = True
                for event, data in framer.close():
                    events += decoder.feed(event, data)
                events += decoder.eof()
            else:
                received = self._received = self._received + len(chunk)
                if received > self._max_stream:
                    raise StreamTooLargeError(
                        f"the response is larger than {self._max_stream} bytes"
                    )
                frames = framer.feed(chunk)
                if frames:
                    self._got_frame = True
                    for event, data in frames:
                        events += decoder.feed(event, data)
        except LlmError as error:
            self._error = scrub_error(error, self._secrets)
        if not events and self._error is None:
            if self._finished:
                await self._close_response()
            return  # a chunk that completed no frame: nothing to hand out, nothing to check
        secrets = self._secrets
        if secrets and ProviderBlock in map(type, events):
            for i, item in enumerate(events):
                if type(item) is ProviderBlock:  # server content kept on the message: scrubbed
                    events[i] = ProviderBlock(scrub_value(item.data, secrets))
        if not self._delta_seen:
            for item in events:
                if isinstance(item, _DELTAS):
                    self._delta_seen = True
                    break
            failure = self._error
            if (
                not self._delta_seen
                and isinstance(failure, StreamInBandError)
                and failure.retryable
            ):
                self._error = None
                await self._retry(failure)
                return
        self._pending = events
        self._pos = 0
        if events and type(events[-1]) is End:
            self._ended = True
        if self._error is not None or self._finished:
            await self._close_response()

    async def _retry(self, error: LlmError) -> None:
        """Start over after ``error`` (nothing was yielded that a retry would duplicate)."""
        self._finished = False
        self._error = None
        await self._back_off(Failure(error))
        await self.start()

    async def _read(self) -> bytes | None:
        """The next chunk of the body (None at its end), within the current time limit.

        One watchdog timer per stream instead of a timeout context per read (the per-chunk
        cost matters): each read only moves ``_expiry`` (a float store); the timer, when it
        fires, re-arms itself at the current expiry, or cancels the reading task if the read
        is overdue.
        """
        chunks = self._chunks
        assert chunks is not None
        if self._got_frame:
            when = self._time() + self._idle
            kind = _IDLE
        else:
            when = self._first_at
            kind = _FIRST
        deadline = self._deadline_at
        if deadline is not None and deadline <= when:
            when = deadline
            kind = _DEADLINE
        self._expiry = when
        self._expiry_kind = kind
        # With the loop given: 3.11's argument-less call asks get_running_loop() (a getpid()).
        task = self._reader = _current_task(self._loop)
        if when < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()  # the limit moved earlier (first event -> idle)
            self._timer = self._loop.call_at(when, self._on_timer)
            self._timer_at = when
        self._reading = True
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return None
        except asyncio.CancelledError:
            if self._fired:
                self._fired = False
                if task is not None and task.uncancel() == 0:
                    raise self._timeout(kind == _DEADLINE, first=kind == _FIRST) from None
            raise
        except self._errors as error:
            raise self._transport_error(error, during="reading the response") from error
        finally:
            self._reading = False

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = _NEVER
        if not self._reading or self._reader is None:
            return  # re-armed by the next read
        if self._time() < self._expiry:
            self._timer = self._loop.call_at(self._expiry, self._on_timer)
            self._timer_at = self._expiry
            return
        self._fired = True
        self._reader.cancel()

    # --- closing -------------------------------------------------------------------------------

    async def _close_response(self) -> None:
        timer, self._timer = self._timer, None
        self._timer_at = _NEVER
        if timer is not None:
            timer.cancel()
        response, self._response = self._response, None
        self._chunks = None
        if response is not None:
            await response.aclose()

    async def _drain(self) -> None:
        """After the end marker: read the rest of a finished body (its last chunk is usually
        already in flight), so the connection goes back to the pool instead of being closed."""
        chunks = self._chunks
        if chunks is None:
            return
        left = _DRAIN_BYTES
        try:
            async with asyncio.timeout(_DRAIN_SECONDS):
                async for chunk in chunks:
                    left -= len(chunk)
                    if left < 0:
                        return
        except (TimeoutError, LlmError):
            return
        except self._errors:
            return

    async def aclose(self) -> None:
        """Close the response now; the source yields nothing more. Idempotent.

        After the provider's end marker the rest of the body (a few bytes) is drained first,
        briefly, so the connection can be reused; otherwise the response is closed at once.
        """
        self._finished = True
        self._pending = []
        self._pos = 0
        self._error = None
        if self._ended:
            self._ended = False
            await self._drain()
        await self._close_response()
