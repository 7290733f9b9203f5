"""The one delta assembler: fragments in, the turn's ``AssistantMessage`` out.

Every adapter's deltas go through this single piece of code (via the guard), so the quirks of
real streams are handled once:

- tool calls are keyed by ``index``; ``id`` and ``name`` normally come only on the first
  fragment; the same index with a *different* id starts a new call (servers that reuse index 0);
- several calls may interleave, and a whole call may arrive in one delta;
- a repeated first fragment (same id and name, arguments equal to what we already have, as
  OpenRouter/kimi sends it) is not duplicated, and a name is never concatenated;
- ``""`` arguments mean ``{}``;
- missing or duplicate ids are replaced by unique synthetic ones (we replay them next turn);
- at most ``max_tool_calls`` calls per turn; more is a clear ``StreamTooLargeError``.

``build`` parses the arguments once, at the end: a call whose JSON does not parse to an object is
kept with ``complete=False`` and its raw text, and the finish reason says so
(``MALFORMED_TOOL_CALL``, or ``LENGTH`` unchanged when a token limit cut it). ``STOP`` with at
least one complete call becomes ``TOOL_CALLS``; ``STOP`` with a refusal becomes ``REFUSAL``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from llmport.core.decoding import replace_lone_surrogates
from llmport.domain.errors import StreamTooLargeError
from llmport.domain.events import FinishReason, ReasoningDelta, ToolCallDelta
from llmport.domain.messages import AssistantMessage, ReasoningPart, ToolCall

__all__ = ["DEFAULT_MAX_TOOL_CALLS", "DeltaAssembler"]

DEFAULT_MAX_TOOL_CALLS: Final = 128


def _reject_constant(name: str) -> Any:
    # NaN / Infinity are not JSON: arguments holding them could not be sent back as JSON.
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    value = json.loads(text, parse_constant=_reject_constant)
    # The one rule for lone surrogates (core/decoding.py): U+FFFD, so the call can be sent back.
    return replace_lone_surrogates(value) if "\\u" in text else value


class _CallBuffer:
    __slots__ = ("args", "data", "id", "name")

    def __init__(self, id: str | None, name: str | None) -> None:
        self.id = id or None
        self.name = name or ""
        self.args: list[str] = []
        self.data: dict[str, Any] | None = None


class _ReasoningBuffer:
    __slots__ = ("encrypted", "id", "signature", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.signature: list[str] = []
        self.encrypted: list[str] = []
        self.id: str | None = None


class DeltaAssembler:
    """Accumulates the deltas of one turn; ``build`` returns the message and finish reason."""

    __slots__ = (
        "_blocks",
        "_by_index",
        "_calls",
        "_layout",
        "_max_tool_calls",
        "_provider",
        "_reasoning",
        "_refusal",
        "text_parts",
    )

    def __init__(
        self, *, provider: str | None = None, max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    ) -> None:
        self._provider = provider
        self._max_tool_calls = max_tool_calls
        # Public so the guard's hot path can append without a method call.
        self.text_parts: list[str] = []
        self._refusal: list[str] = []
        self._reasoning: dict[int, _ReasoningBuffer] = {}
        self._calls: list[_CallBuffer] = []
        self._by_index: dict[int, _CallBuffer] = {}
        self._blocks: list[Mapping[str, Any]] = []
        self._layout: dict[str, Any] = {}

    # --- feeding -----------------------------------------------------------------------------

    def add_text(self, text: str) -> None:
        self.text_parts.append(text)

    def add_refusal(self, text: str) -> None:
        self._refusal.append(text)
        self.text_parts.append(text)

    def add_block(self, data: Mapping[str, Any]) -> None:
        self._blocks.append(data)

    def add_layout(self, data: Mapping[str, Any]) -> None:
        self._layout.update(data)

    def _call_at(self, index: int) -> _CallBuffer:
        buffer = self._by_index.get(index)
        if buffer is None:
            self.add_tool_call(ToolCallDelta(index))
            buffer = self._by_index[index]
        return buffer

    def add_call_data(self, index: int, data: Mapping[str, Any]) -> None:
        """Merge opaque provider data into the call at ``index`` (created if not seen yet)."""
        buffer = self._call_at(index)
        if buffer.data is None:
            buffer.data = {}
        buffer.data.update(data)

    def set_call_arguments(self, index: int, arguments: str) -> None:
        """The authoritative whole argument text of the call at ``index``: replaces its deltas."""
        self._call_at(index).args = [arguments]

    def add_reasoning(self, delta: ReasoningDelta) -> None:
        buffer = self._reasoning.get(delta.index)
        if buffer is None:
            buffer = self._reasoning[delta.index] = _ReasoningBuffer()
        if delta.text:
            buffer.text.append(delta.text)
        if delta.signature:
            buffer.signature.append(delta.signature)
        if delta.encrypted:
            buffer.encrypted.append(delta.encrypted)
        if delta.id:
            buffer.id = delta.id

    def add_tool_call(self, delta: ToolCallDelta) -> None:
        buffer = self._by_index.get(delta.index)
        if buffer is None or (delta.id and buffer.id and delta.id != buffer.id):
            if len(self._calls) >= self._max_tool_calls:
                raise StreamTooLargeError(
                    f"more than {self._max_tool_calls} tool calls in one turn",
                    provider=self._provider,
                )
            buffer = _CallBuffer(delta.id, delta.name)
            self._calls.append(buffer)
            self._by_index[delta.index] = buffer
            if delta.arguments:
                buffer.args.append(delta.arguments)
            return
        if delta.id and buffer.id is None:
            buffer.id = delta.id
        if delta.name:
            if not buffer.name:
                buffer.name = delta.name
            elif (
                delta.name == buffer.name
                and delta.id == buffer.id
                and delta.arguments
                and delta.arguments == "".join(buffer.args)
            ):
                return  # the whole first fragment sent again: not new argument text
        if delta.arguments:
            buffer.args.append(delta.arguments)

    # --- result ------------------------------------------------------------------------------

    @property
    def has_content(self) -> bool:
        return bool(self.text_parts or self._reasoning or self._calls or self._blocks)

    def build(self, reason: FinishReason) -> tuple[AssistantMessage, FinishReason]:
        """The assembled message and the finish reason adjusted for its tool calls."""
        calls: list[ToolCall] = []
        # Ids the provider gave are kept (the first use of each); synthetic ones for missing or
        # repeated ids must not take any of them, nor each other (ids "a_2", "a", "a").
        taken: set[str] = {b.id for b in self._calls if b.id}
        seen_ids: set[str] = set()
        any_complete = False
        any_broken = False
        for position, buffer in enumerate(self._calls):
            call_id = buffer.id
            if call_id is None or call_id in seen_ids:
                base = f"{call_id}_{position}" if call_id else f"call_{position}"
                call_id, suffix = base, 1
                while call_id in taken:
                    call_id = f"{base}_{suffix}"
                    suffix += 1
                taken.add(call_id)
            seen_ids.add(call_id)
            raw = "".join(buffer.args)
            arguments: Any = None
            if not raw.strip():
                # No argument text: {} for a finished call; a token limit may have cut it.
                arguments = {} if reason is not FinishReason.LENGTH else None
            else:
                try:
                    arguments = _loads(raw)
                except (ValueError, RecursionError):  # deep nesting ("[[[[...") recurses
                    arguments = None
            data = buffer.data or {}
            if isinstance(arguments, dict) and buffer.name:
                calls.append(ToolCall(call_id, buffer.name, arguments, provider_data=data))
                any_complete = True
            else:
                calls.append(
                    ToolCall(
                        call_id,
                        buffer.name,
                        {},
                        raw_arguments=raw,
                        complete=False,
                        provider_data=data,
                    )
                )
                any_broken = True

        refusal = "".join(self._refusal) if self._refusal else None
        if any_broken and reason in (FinishReason.STOP, FinishReason.TOOL_CALLS):
            reason = FinishReason.MALFORMED_TOOL_CALL
        elif reason is FinishReason.STOP:
            if any_complete:
                reason = FinishReason.TOOL_CALLS
            elif refusal:
                reason = FinishReason.REFUSAL

        reasoning = tuple(
            ReasoningPart(
                text="".join(b.text),
                signature="".join(b.signature) if b.signature else None,
                encrypted="".join(b.encrypted) if b.encrypted else None,
                id=b.id,
                provider=self._provider,
            )
            for b in self._reasoning.values()
        )
        message = AssistantMessage(
            text="".join(self.text_parts),
            tool_calls=tuple(calls),
            reasoning=reasoning,
            refusal=refusal,
            provider_blocks=tuple(self._blocks),
            layout=self._layout,
        )
        return message, reason
