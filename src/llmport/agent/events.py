"""What ``agent.stream(...)`` yields while a run goes on.

Deltas arrive as the model produces them; tool calls are announced when they start and when
they finish (with their result and duration); each turn and the run end with their own event.
Every event has ``to_dict()`` giving a JSON-ready dict with a ``type`` key, for NDJSON output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from llmport.domain.events import FinishReason, Usage
from llmport.domain.messages import AssistantMessage, ToolCall, ToolMessage, message_to_dict

if TYPE_CHECKING:
    from llmport.agent.loop import AgentResult

__all__ = [
    "AgentEvent",
    "AgentReasoningDelta",
    "AgentTextDelta",
    "RunFinished",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnFinished",
    "usage_to_dict",
]


def usage_to_dict(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def _call_to_dict(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}


@dataclass(frozen=True, slots=True)
class AgentTextDelta:
    """A fragment of the model's answer text in turn ``turn`` (1-based)."""

    text: str
    turn: int

    def to_dict(self) -> dict[str, Any]:
        return {"type": "text_delta", "turn": self.turn, "text": self.text}


@dataclass(frozen=True, slots=True)
class AgentReasoningDelta:
    """A fragment of the model's reasoning in turn ``turn``."""

    text: str
    turn: int

    def to_dict(self) -> dict[str, Any]:
        return {"type": "reasoning_delta", "turn": self.turn, "text": self.text}


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A tool call is about to run."""

    call: ToolCall
    turn: int

    def to_dict(self) -> dict[str, Any]:
        return {"type": "tool_call_started", "turn": self.turn, "call": _call_to_dict(self.call)}


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A tool call finished; ``result.is_error`` tells a failure; ``duration`` in seconds."""

    call: ToolCall
    result: ToolMessage
    duration: float
    turn: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "tool_call_finished",
            "turn": self.turn,
            "call": _call_to_dict(self.call),
            "result": self.result.content,
            "is_error": self.result.is_error,
            "duration": round(self.duration, 6),
        }


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The model's turn ``turn`` ended."""

    turn: int
    finish_reason: FinishReason
    usage: Usage | None
    message: AssistantMessage

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "turn_finished",
            "turn": self.turn,
            "finish_reason": self.finish_reason.value,
            "usage": usage_to_dict(self.usage),
            "message": message_to_dict(self.message),
        }


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run is over; ``result`` is what ``agent.run`` returns."""

    result: AgentResult

    def to_dict(self) -> dict[str, Any]:
        result = self.result
        return {
            "type": "run_finished",
            "text": result.text,
            "turns": result.turns,
            "finish_reason": result.finish_reason.value,
            "usage": usage_to_dict(result.usage),
        }


AgentEvent: TypeAlias = (
    AgentTextDelta
    | AgentReasoningDelta
    | ToolCallStarted
    | ToolCallFinished
    | TurnFinished
    | RunFinished
)
