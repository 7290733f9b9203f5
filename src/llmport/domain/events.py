"""What a model stream yields: deltas in any interleaving, then exactly one ``Done``.

``LlmStreamEvent`` is the closed union a consumer matches on::

    match event:
        case TextDelta(text=t): ...
        case ReasoningDelta(text=t): ...
        case ToolCallDelta(): ...
        case Done(finish_reason=r): ...
        case _: assert_never(event)

``Done.message`` is the assembled :class:`AssistantMessage` of the turn, so a consumer that only
wants the result never has to assemble deltas itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from llmport.domain.messages import AssistantMessage, message_from_dict, message_to_dict

__all__ = [
    "Done",
    "FinishReason",
    "LlmStreamEvent",
    "ReasoningDelta",
    "TextDelta",
    "ToolCallDelta",
    "Usage",
]


class FinishReason(StrEnum):
    """Why a turn ended, normalised across providers (the raw value is in ``Done``)."""

    STOP = "stop"
    TOOL_CALLS = "tool_calls"
    LENGTH = "length"
    CONTEXT_WINDOW = "context_window"
    CONTENT_FILTER = "content_filter"
    REFUSAL = "refusal"
    PAUSED = "paused"
    MALFORMED_TOOL_CALL = "malformed_tool_call"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one turn (or, summed, of a run).

    ``cached_input_tokens`` is included in ``input_tokens``; ``reasoning_tokens`` in
    ``output_tokens``, as the providers count them.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready dict; ``Usage.from_dict`` reverses it exactly."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        if not isinstance(data, Mapping):
            raise ValueError("usage must be a JSON object")
        counts: dict[str, int] = {}
        for name in ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"):
            value = data.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"usage field {name!r} must be an integer >= 0")
            counts[name] = value
        return cls(**counts)


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A fragment of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A fragment of the model's reasoning.

    ``index`` numbers the reasoning blocks of the turn (a new index starts a new
    ``ReasoningPart``). ``signature`` / ``encrypted`` / ``id`` carry the provider's opaque data
    for that block when it arrives; ``text`` may then be empty.
    """

    text: str = ""
    index: int = 0
    signature: str | None = None
    encrypted: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call: ``id`` and ``name`` come on its first fragment, and
    ``arguments`` is a piece of the arguments' JSON text (not a parsed object)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Done:
    """The end of a turn: why it ended, what it cost, and the assembled message.

    ``usage`` is None when the provider reported none (absent is not zero).
    ``stop_sequence`` is the stop sequence that ended the turn, when the provider says.
    ``detail`` explains an unusual end (e.g. ``prompt_blocked:SAFETY``).
    """

    finish_reason: FinishReason
    raw_finish_reason: str | None
    usage: Usage | None
    message: AssistantMessage
    stop_sequence: str | None = None
    detail: str | None = None
    response_id: str | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``Done.from_dict`` reverses it exactly (usage None stays None)."""
        return {
            "finish_reason": self.finish_reason.value,
            "raw_finish_reason": self.raw_finish_reason,
            "usage": None if self.usage is None else self.usage.to_dict(),
            "message": message_to_dict(self.message),
            "stop_sequence": self.stop_sequence,
            "detail": self.detail,
            "response_id": self.response_id,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Done:
        if not isinstance(data, Mapping):
            raise ValueError("a Done must be a JSON object")
        try:
            reason = FinishReason(str(data.get("finish_reason")))
        except ValueError:
            raise ValueError(f"unknown finish_reason {data.get('finish_reason')!r}") from None
        message = message_from_dict(data.get("message", {"role": "assistant"}))
        if not isinstance(message, AssistantMessage):
            raise ValueError("a Done's message must be an assistant message")
        optional: dict[str, str | None] = {}
        for name in ("raw_finish_reason", "stop_sequence", "detail", "response_id", "model"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"Done field {name!r} must be a string or null")
            optional[name] = value
        usage = data.get("usage")
        return cls(
            finish_reason=reason,
            usage=None if usage is None else Usage.from_dict(usage),
            message=message,
            raw_finish_reason=optional["raw_finish_reason"],
            stop_sequence=optional["stop_sequence"],
            detail=optional["detail"],
            response_id=optional["response_id"],
            model=optional["model"],
        )


LlmStreamEvent: TypeAlias = TextDelta | ReasoningDelta | ToolCallDelta | Done
