"""``ScriptedAdapter``: a real port that replays a script, for tests and examples.

Each ``chat_stream`` call plays the next ``ScriptedTurn``: its events go through the same guard
as every adapter's, so a script that breaks the contract (no ``Done``) fails exactly like a real
truncated stream would. A turn can pause between events, raise a given ``LlmError`` after N
events, or refuse to start at all. The adapter records every call's messages and tools.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from llmport.core.guard import GuardedStream, guard
from llmport.core.raw import END, End, Finish, RawEvent, ResponseInfo
from llmport.domain.errors import LlmError
from llmport.domain.events import (
    Done,
    FinishReason,
    LlmStreamEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import AgentMessage, AssistantMessage, UserMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

__all__ = ["ScriptItem", "ScriptedAdapter", "ScriptedCall", "ScriptedTurn", "from_model_string"]

ScriptItem: TypeAlias = LlmStreamEvent | RawEvent

_EMPTY = AssistantMessage()


def _done(reason: FinishReason, usage: Usage | None, raw: str | None = None) -> Done:
    return Done(reason, raw if raw is not None else reason.value, usage, _EMPTY)


@dataclass(frozen=True)
class ScriptedTurn:
    """One scripted model response.

    ``events``: what the model streams; a ``Done`` becomes the provider's finish, usage and end
    marker (its ``message`` is ignored: the guard assembles the real one from the deltas).
    ``error``: raised after ``error_after`` events (``None``: never); ``start_error`` is raised
    by ``chat_stream`` itself, as when a request is refused. ``pause``: seconds between events.
    """

    events: tuple[ScriptItem, ...] = ()
    error: LlmError | None = None
    error_after: int | None = None
    start_error: LlmError | None = None
    pause: float = 0.0

    @classmethod
    def text(
        cls,
        text: str,
        *,
        chunk: int = 0,
        reason: FinishReason = FinishReason.STOP,
        usage: Usage | None = None,
        reasoning: str = "",
    ) -> ScriptedTurn:
        """A plain answer, optionally streamed in ``chunk``-character pieces."""
        pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)] if chunk else [text]
        events: list[ScriptItem] = []
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        events.extend(TextDelta(p) for p in pieces if p)
        events.append(_done(reason, usage))
        return cls(tuple(events))

    @classmethod
    def tool_calls(
        cls,
        *calls: tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], str],
        text: str = "",
        usage: Usage | None = None,
        reason: FinishReason = FinishReason.TOOL_CALLS,
    ) -> ScriptedTurn:
        """A turn that calls tools: ``(name, arguments)`` or ``(name, arguments, id)`` each."""
        events: list[ScriptItem] = [TextDelta(text)] if text else []
        for index, call in enumerate(calls):
            name, arguments = call[0], call[1]
            call_id = call[2] if len(call) > 2 else f"call_{index}"
            events.append(ToolCallDelta(index, call_id, name, json.dumps(dict(arguments))))
        events.append(_done(reason, usage))
        return cls(tuple(events))

    @classmethod
    def failing(cls, error: LlmError, *, after: Iterable[ScriptItem] = ()) -> ScriptedTurn:
        """A turn that streams ``after`` and then fails with ``error``."""
        events = tuple(after)
        return cls(events, error=error, error_after=len(events))


@dataclass(frozen=True)
class ScriptedCall:
    """What one ``chat_stream`` call received."""

    messages: tuple[AgentMessage, ...]
    tools: tuple[ToolDefinition, ...]
    options: CallOptions | None = None


@dataclass
class ScriptedAdapter:
    """A port that replays ``turns`` in order, one per ``chat_stream`` call."""

    turns: list[ScriptedTurn] = field(default_factory=list)
    provider: str = "scripted"
    calls: list[ScriptedCall] = field(default_factory=list)
    closed_streams: int = 0

    def __init__(
        self,
        turns: Iterable[ScriptedTurn | Sequence[ScriptItem]] = (),
        *,
        provider: str = "scripted",
        echo: bool = False,
    ) -> None:
        self.turns = [t if isinstance(t, ScriptedTurn) else ScriptedTurn(tuple(t)) for t in turns]
        self.provider = provider
        self.echo = echo
        """Once the script is spent, answer each call with the last user message's text."""
        self.calls = []
        self.closed_streams = 0
        self._next = 0

    def add(self, turn: ScriptedTurn | Sequence[ScriptItem]) -> None:
        """Append one more turn to the script."""
        self.turns.append(turn if isinstance(turn, ScriptedTurn) else ScriptedTurn(tuple(turn)))

    @property
    def remaining(self) -> int:
        return len(self.turns) - self._next

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | None = None,
    ) -> GuardedStream:
        self.calls.append(ScriptedCall(tuple(messages), tuple(tools), options))
        if self._next >= len(self.turns) and self.echo:
            last = next((m for m in reversed(messages) if isinstance(m, UserMessage)), None)
            said = last.text if last is not None else ""
            return guard(self._play(ScriptedTurn.text(f"You said: {said}")), provider=self.provider)
        if self._next >= len(self.turns):
            raise LlmError(
                f"the script has no turn left (it had {len(self.turns)})",
                provider=self.provider,
            )
        turn = self.turns[self._next]
        self._next += 1
        if turn.start_error is not None:
            raise turn.start_error
        return guard(self._play(turn), provider=self.provider)

    async def _play(self, turn: ScriptedTurn) -> AsyncIterator[RawEvent]:
        try:
            for count, item in enumerate(turn.events):
                if turn.error is not None and turn.error_after == count:
                    raise turn.error
                if turn.pause and count:
                    await asyncio.sleep(turn.pause)
                if isinstance(item, Done):
                    if item.response_id is not None or item.model is not None:
                        yield ResponseInfo(item.response_id, item.model)
                    yield Finish(
                        item.finish_reason, item.raw_finish_reason, item.stop_sequence, item.detail
                    )
                    if item.usage is not None:
                        yield item.usage
                    yield END
                    return
                yield item
                if isinstance(item, End):
                    return
            if turn.error is not None:
                raise turn.error
        finally:
            self.closed_streams += 1


def from_model_string(model: str, **options: Any) -> ScriptedAdapter:
    """``connect("scripted", turns=[...])``: the model name is ignored. Without turns it echoes
    (``You said: ...``), so ``llmport run --model scripted`` works as a demonstration."""
    turns = options.pop("turns", ())
    options.setdefault("echo", not turns)
    return ScriptedAdapter(turns, **options)
