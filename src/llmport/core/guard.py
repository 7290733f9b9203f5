"""The guard: the one place that enforces the stream contract for every adapter.

An adapter produces an async iterator of ``RawEvent`` items (its decoder's output, read off the
wire by its HTTP shell). ``guard(source, provider=...)`` wraps it into the ``LlmEventStream`` the
consumer sees, and makes the contract of ``llmport.ports`` true whatever the source does:

- deltas are forwarded as they come and fed to the shared ``DeltaAssembler``; empty ones are
  dropped;
- usage, finish reason and response info are remembered, never forwarded; usage that arrives
  after the finish is folded into ``Done``;
- the provider's end marker (``End``) produces exactly one ``Done`` with the assembled message
  and the finish reason adjusted for its tool calls; a missing finish reason is ``STOP`` (the
  marker decides);
- a source that ends without ``End`` raises ``StreamTruncatedError``; an ``LlmError`` from the
  source is re-raised with ``after_output`` and ``provider`` filled in; any other exception
  becomes ``StreamProtocolError`` chained with ``from``;
- after the terminal (``Done`` or an error) nothing more is yielded, and the source is closed;
- ``aclose()``, leaving ``async with``, or cancelling the consumer closes the source at once
  (which closes the HTTP response) and is not an error.

The guard is on the hot path of every event, so ``__anext__`` is a plain method with a type
dispatch, not an async generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

from llmport.core.assembler import DEFAULT_MAX_TOOL_CALLS, DeltaAssembler
from llmport.core.raw import (
    End,
    Finish,
    MessageLayout,
    ProviderBlock,
    RawEvent,
    RefusalDelta,
    ResponseInfo,
    ToolCallArguments,
    ToolCallData,
)
from llmport.domain.errors import (
    LlmError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import (
    Done,
    FinishReason,
    LlmStreamEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)

__all__ = ["GuardedStream", "guard"]


class GuardedStream:
    """The ``LlmEventStream`` every adapter returns."""

    __slots__ = (
        "_assembler",
        "_closed_by_caller",
        "_emitted",
        "_finish",
        "_info",
        "_loop",
        "_provider",
        "_source",
        "_source_closed",
        "_terminated",
        "_usage",
    )

    def __init__(
        self,
        source: AsyncIterator[RawEvent],
        *,
        provider: str,
        max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    ) -> None:
        self._source = source
        self._provider = provider
        self._assembler = DeltaAssembler(provider=provider, max_tool_calls=max_tool_calls)
        self._finish: Finish | None = None
        self._usage: Usage | None = None
        self._info: ResponseInfo | None = None
        self._emitted = False
        self._terminated = False
        self._closed_by_caller = False
        self._source_closed = False
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def retries_taken(self) -> int:
        """Retries this stream's request needed before it started (0 for a non-HTTP source)."""
        retries = getattr(self._source, "retries_taken", 0)
        return retries if isinstance(retries, int) else 0

    @property
    def after_output(self) -> bool:
        """Whether an event has been yielded to the consumer."""
        return self._emitted

    def __repr__(self) -> str:
        state = "closed" if self._terminated else "open"
        return f"<GuardedStream provider={self._provider!r} {state}>"

    def __aiter__(self) -> GuardedStream:
        return self

    async def __anext__(self) -> LlmStreamEvent:
        if self._terminated:
            raise StopAsyncIteration
        source = self._source
        assembler = self._assembler
        try:
            while True:
                item = await source.__anext__()
                if self._closed_by_caller:
                    # aclose() ran in another task while this read was in flight.
                    await self._close_source()
                    raise StopAsyncIteration
                # isinstance is as cheap as a type() identity test here and keeps mypy exact.
                if isinstance(item, TextDelta):
                    if item.text:
                        assembler.text_parts.append(item.text)
                        self._emitted = True
                        return item
                elif isinstance(item, ToolCallDelta):
                    if item.arguments or item.id or item.name:
                        assembler.add_tool_call(item)
                        self._emitted = True
                        return item
                elif isinstance(item, ReasoningDelta):
                    if item.text or item.signature or item.encrypted or item.id:
                        assembler.add_reasoning(item)
                        self._emitted = True
                        return item
                elif isinstance(item, Usage):
                    self._usage = item
                elif isinstance(item, Finish):
                    self._finish = item
                elif isinstance(item, End):
                    return await self._done()
                elif isinstance(item, RefusalDelta):
                    if item.text:
                        assembler.add_refusal(item.text)
                        self._emitted = True
                        return TextDelta(item.text)
                elif isinstance(item, ProviderBlock):
                    assembler.add_block(item.data)
                elif isinstance(item, ResponseInfo):
                    self._info = item
                elif isinstance(item, ToolCallData):
                    assembler.add_call_data(item.index, item.data)
                elif isinstance(item, ToolCallArguments):
                    assembler.set_call_arguments(item.index, item.arguments)
                elif isinstance(item, MessageLayout):
                    assembler.add_layout(item.data)
                else:
                    raise StreamProtocolError(
                        f"adapter produced an unknown item {type(item).__name__}",
                        provider=self._provider,
                    )
        except StopAsyncIteration:
            if self._terminated:
                raise
            raise await self._fail(
                StreamTruncatedError(
                    "the stream ended before the provider's end marker",
                    provider=self._provider,
                )
            ) from None
        except LlmError as error:
            if self._closed_by_caller:
                await self._close_source()
                raise StopAsyncIteration from None
            await self._fail(error)
            raise
        except Exception as error:
            if self._closed_by_caller:
                await self._close_source()
                raise StopAsyncIteration from None
            raise await self._fail(
                StreamProtocolError(
                    f"the {self._provider} adapter failed: {type(error).__name__}",
                    provider=self._provider,
                )
            ) from error
        except BaseException:
            # Cancellation (or GeneratorExit, KeyboardInterrupt): close the source, yield nothing.
            self._terminated = True
            await self._close_source()
            raise

    async def _done(self) -> Done:
        finish = self._finish
        reason = finish.reason if finish is not None else FinishReason.STOP
        message, reason = self._assembler.build(reason)
        info = self._info
        self._terminated = True
        # The end marker arrived, so the answer is complete: a failing close cannot spoil it.
        with contextlib.suppress(Exception):
            await self._close_source()
        return Done(
            finish_reason=reason,
            raw_finish_reason=finish.raw if finish is not None else None,
            usage=self._usage,
            message=message,
            stop_sequence=finish.stop_sequence if finish is not None else None,
            detail=finish.detail if finish is not None else None,
            response_id=info.id if info is not None else None,
            model=info.model if info is not None else None,
        )

    async def _fail(self, error: LlmError) -> LlmError:
        self._terminated = True
        if self._emitted:
            error.after_output = True
        if error.provider is None:
            error.provider = self._provider
        if error.usage is None:
            error.usage = self._usage  # what the provider reported before it failed
        await self._close_source()
        return error

    async def _close_source(self) -> None:
        if self._source_closed:
            return
        self._source_closed = True
        aclose: Any = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    def __del__(self) -> None:
        # A consumer that `break`s out of `async for` without `async with` and drops the stream
        # must not leak the response: close the source on the loop, as asyncio does for async
        # generators (whose own finaliser already handles them, so they are left to it).
        if self._source_closed or self._loop is None or inspect.isasyncgen(self._source):
            return
        aclose = getattr(self._source, "aclose", None)
        if aclose is None or self._loop.is_closed():
            return
        self._source_closed = True
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            self._loop.call_soon_threadsafe(_close_in_background, aclose)

    async def aclose(self) -> None:
        """Close the stream and its response now. Idempotent; never raises for a closed one.

        When another task is inside ``__anext__`` (its read of an async generator source is in
        flight), that generator cannot be closed from here: the pending read then yields nothing
        and closes the source as soon as it returns.
        """
        if not self._terminated:
            self._closed_by_caller = True
            self._terminated = True
        if getattr(self._source, "ag_running", False):
            return
        await self._close_source()

    async def __aenter__(self) -> GuardedStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


_BACKGROUND_CLOSES: set[asyncio.Task[None]] = set()


def _close_in_background(aclose: Callable[[], Awaitable[object]]) -> None:
    async def close_quietly() -> None:
        with contextlib.suppress(Exception):
            await aclose()

    task = asyncio.ensure_future(close_quietly())
    _BACKGROUND_CLOSES.add(task)  # keep it alive until it ran
    task.add_done_callback(_BACKGROUND_CLOSES.discard)


def guard(
    source: AsyncIterator[RawEvent],
    *,
    provider: str,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
) -> GuardedStream:
    """Wrap an adapter's raw event source into a contract-abiding ``LlmEventStream``."""
    return GuardedStream(source, provider=provider, max_tool_calls=max_tool_calls)
