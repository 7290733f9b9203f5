"""The ports: the only surface the agent loop sees of a model and of its tools.

The stream contract (every adapter obeys it, ``llmport.core.guard`` enforces it):

1. Exactly one terminal. A stream the caller does not cancel ends either with exactly one
   ``Done`` as its last item, or by raising one ``LlmError``; never both, never neither, and
   nothing after it.
2. ``Done`` whenever the provider's own end marker arrived, whatever the finish reason
   (``LENGTH``, ``CONTENT_FILTER`` ... are ``Done``). Usage sent after the finish chunk is folded
   into ``Done``.
3. An error is an infrastructure or protocol failure (HTTP error after retries, reset, timeout,
   in-band provider error, a body that ends without the end marker, undecodable framing, a size
   limit); it is a typed ``LlmError`` with ``provider``, ``status_code``, ``retryable``,
   ``retry_after`` and ``after_output``.
4. Text, reasoning and tool-call deltas interleave freely before ``Done``.
5. No retry once an event has been yielded: output is never duplicated.
6. Cancellation (``aclose()``, leaving ``async with``, ``break``, task cancellation) closes the
   response at once and yields nothing more; it is not an error.
7. Unknown event types, unknown fields and SSE comments are ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Protocol, runtime_checkable

from llmport.domain.events import LlmStreamEvent
from llmport.domain.messages import AgentMessage, ToolCall, ToolMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

__all__ = ["LlmCompletionPort", "LlmEventStream", "ToolExecutorPort"]


@runtime_checkable
class LlmEventStream(Protocol):
    """A live model response: an async iterator of events and an async context manager."""

    def __aiter__(self) -> AsyncIterator[LlmStreamEvent]: ...

    async def __anext__(self) -> LlmStreamEvent: ...

    async def __aenter__(self) -> LlmEventStream: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def aclose(self) -> None:
        """Close the response now; the stream yields nothing more. Safe to call twice."""
        ...


@runtime_checkable
class LlmCompletionPort(Protocol):
    """A streaming chat model."""

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | None = None,
    ) -> LlmEventStream:
        """Send the request; return once the response has started (retries done).

        ``options`` overrides the adapter's defaults for this call (a value set wins); an option
        the wire cannot express is a ``ValueError`` before any request. Raises ``LlmError``
        when the request cannot start.
        """
        ...


@runtime_checkable
class ToolExecutorPort(Protocol):
    """The tools an agent may call."""

    def list_tools(self) -> Sequence[ToolDefinition]: ...

    async def execute(self, call: ToolCall) -> ToolMessage:
        """Run one call and return its result; failures are results with ``is_error=True``."""
        ...
