"""``InstrumentedPort``: a model port whose every ``chat_stream`` is a GenAI ``chat`` span.

The span starts when the request is sent and ends with the stream's terminal: ``Done`` (its
finish reason, response id and model, usage, time to first chunk), an ``LlmError`` (its class
as ``error.type``, the span's status an error) or the caller closing the stream early (no
error: a cancellation is not a failure). The metrics are recorded at the same moment.

While no provider is configured, ``chat_stream`` returns the inner port's stream itself: the
per-event path is then exactly the uninstrumented one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llmport.domain.errors import LlmError
from llmport.domain.events import Done, LlmStreamEvent
from llmport.domain.messages import AgentMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition
from llmport.otel import attributes as attr
from llmport.otel.telemetry import Telemetry
from llmport.ports import LlmCompletionPort, LlmEventStream

__all__ = ["InstrumentedPort", "TracedStream"]


def _retries(source: object) -> int | None:
    retries = getattr(source, "retries_taken", None)
    return retries if isinstance(retries, int) and not isinstance(retries, bool) else None


class InstrumentedPort:
    """Wraps ``port``; every other attribute (``model``, ``load`` ...) is the port's own."""

    def __init__(self, port: LlmCompletionPort, telemetry: Telemetry | None = None) -> None:
        self.port = port
        self.telemetry = telemetry or Telemetry()
        self.provider_name = attr.provider_name(getattr(port, "provider", None))
        model = getattr(port, "model", None)
        self.request_model = model if isinstance(model, str) and model else None

    def __getattr__(self, name: str) -> Any:
        if name == "port":  # not set yet (a copy or unpickling in progress)
            raise AttributeError(name)
        return getattr(self.port, name)

    def __repr__(self) -> str:
        return f"InstrumentedPort({self.port!r})"

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | None = None,
    ) -> LlmEventStream:
        telemetry = self.telemetry
        if not telemetry.active:
            if options is None:
                return await self.port.chat_stream(messages, tools)
            return await self.port.chat_stream(messages, tools, options=options)
        model = self.request_model
        base: dict[str, Any] = {attr.OPERATION: "chat", attr.PROVIDER: self.provider_name}
        if model is not None:
            base[attr.REQUEST_MODEL] = model
        span = telemetry.tracer.start_span(
            f"chat {model}" if model else "chat",
            kind=SpanKind.CLIENT,
            attributes={**base, **attr.request_attributes(options)},
        )
        if telemetry.capture_content and span.is_recording():
            system, inputs = attr.input_messages(messages)
            span.set_attribute(attr.INPUT_MESSAGES, inputs)
            if system is not None:
                span.set_attribute(attr.SYSTEM_INSTRUCTIONS, system)
            if tools:
                span.set_attribute(attr.TOOL_DEFINITIONS, attr.tool_definitions(tools))
        started = time.perf_counter()
        try:
            if options is None:
                stream = await self.port.chat_stream(messages, tools)
            else:
                stream = await self.port.chat_stream(messages, tools, options=options)
        except BaseException as error:
            retries = _retries(self.port)
            if retries is not None:
                span.set_attribute(attr.RETRIES, retries)
            _end_with_error(telemetry, span, error, base, started)
            raise
        retries = _retries(stream)
        if retries is not None:
            span.set_attribute(attr.RETRIES, retries)
        return TracedStream(stream, span, telemetry, base, started)


def _error_type(error: BaseException) -> str:
    return type(error).__name__


def _end_with_error(
    telemetry: Telemetry, span: Span, error: BaseException, base: dict[str, Any], started: float
) -> None:
    kind = _error_type(error)
    span.set_attribute(attr.ERROR_TYPE, kind)
    if isinstance(error, LlmError):
        span.set_status(Status(StatusCode.ERROR, str(error)))
        span.record_exception(error)
    else:
        span.set_status(Status(StatusCode.ERROR, kind))
    span.end()
    telemetry.duration.record(time.perf_counter() - started, {**base, attr.ERROR_TYPE: kind})


class TracedStream:
    """The inner stream, ending its span with its terminal (or its early close)."""

    __slots__ = ("_base", "_first", "_inner", "_span", "_started", "_telemetry")

    def __init__(
        self,
        inner: LlmEventStream,
        span: Span,
        telemetry: Telemetry,
        base: dict[str, Any],
        started: float,
    ) -> None:
        self._inner = inner
        self._span: Span | None = span
        self._telemetry = telemetry
        self._base = base
        self._started = started
        self._first: float | None = None

    def __aiter__(self) -> TracedStream:
        return self

    async def __anext__(self) -> LlmStreamEvent:
        try:
            event = await self._inner.__anext__()
        except (StopAsyncIteration, asyncio.CancelledError):
            self._close_span()
            raise
        except BaseException as error:
            span, self._span = self._span, None
            if span is not None:
                _end_with_error(self._telemetry, span, error, self._base, self._started)
            raise
        if self._first is None:
            self._first = time.perf_counter()
            if self._span is not None:
                self._telemetry.time_to_first_chunk.record(self._first - self._started, self._base)
        if isinstance(event, Done):
            self._finish(event)
        return event

    def _finish(self, done: Done) -> None:
        span, self._span = self._span, None
        if span is None:
            return
        elapsed = time.perf_counter() - self._started
        telemetry = self._telemetry
        metric = dict(self._base)
        if done.model:
            metric[attr.RESPONSE_MODEL] = done.model
        if span.is_recording():
            values: dict[str, Any] = {
                attr.FINISH_REASONS: [attr.finish_reason(done.finish_reason)],
            }
            if done.model:
                values[attr.RESPONSE_MODEL] = done.model
            if done.response_id:
                values[attr.RESPONSE_ID] = done.response_id
            if self._first is not None:
                values[attr.TIME_TO_FIRST_CHUNK] = self._first - self._started
            usage = done.usage
            if usage is not None:
                values[attr.INPUT_TOKENS] = usage.input_tokens
                values[attr.OUTPUT_TOKENS] = usage.output_tokens
                if usage.cached_input_tokens:
                    values[attr.CACHE_READ_TOKENS] = usage.cached_input_tokens
                if usage.reasoning_tokens:
                    values[attr.REASONING_TOKENS] = usage.reasoning_tokens
            if telemetry.capture_content:
                values[attr.OUTPUT_MESSAGES] = attr.output_messages(
                    done.message, done.finish_reason
                )
            span.set_attributes(values)
        span.end()
        telemetry.duration.record(elapsed, metric)
        if done.usage is not None:
            telemetry.token_usage.record(
                done.usage.input_tokens, {**metric, attr.TOKEN_TYPE: "input"}
            )
            telemetry.token_usage.record(
                done.usage.output_tokens, {**metric, attr.TOKEN_TYPE: "output"}
            )

    def _close_span(self) -> None:
        """The stream ended without a terminal we saw (closed by the caller): no error."""
        span, self._span = self._span, None
        if span is not None:
            span.set_attribute("llmport.cancelled", True)
            span.end()
            self._telemetry.duration.record(time.perf_counter() - self._started, self._base)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._close_span()

    async def __aenter__(self) -> TracedStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:  # retries_taken, after_output ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)
