"""Stream events: the finish reasons DESIGN.md names, Usage arithmetic, frozen events."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.domain.events import (
    Done,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import AssistantMessage


def test_finish_reasons_are_exactly_the_designed_ones() -> None:
    assert [(r.name, r.value) for r in FinishReason] == [
        ("STOP", "stop"),
        ("TOOL_CALLS", "tool_calls"),
        ("LENGTH", "length"),
        ("CONTEXT_WINDOW", "context_window"),
        ("CONTENT_FILTER", "content_filter"),
        ("REFUSAL", "refusal"),
        ("PAUSED", "paused"),
        ("MALFORMED_TOOL_CALL", "malformed_tool_call"),
        ("OTHER", "other"),
    ]


def test_finish_reason_is_a_str_enum() -> None:
    assert FinishReason.STOP == "stop"
    assert str(FinishReason.TOOL_CALLS) == "tool_calls"
    assert FinishReason("length") is FinishReason.LENGTH


def test_usage_defaults_and_total() -> None:
    assert Usage() == Usage(0, 0, 0, 0)
    usage = Usage(input_tokens=100, output_tokens=20, cached_input_tokens=60, reasoning_tokens=5)
    # Cached tokens are part of the input and reasoning tokens part of the output.
    assert usage.total_tokens == 120


def test_usage_addition() -> None:
    a = Usage(1, 2, 3, 4)
    b = Usage(10, 20, 30, 40)
    assert a + b == Usage(11, 22, 33, 44)
    assert sum([a, b, a], Usage()) == Usage(12, 24, 36, 48)
    with pytest.raises(TypeError):
        _ = a + 1  # type: ignore[operator]


counts = st.integers(min_value=0, max_value=10**9)
usages = st.builds(Usage, counts, counts, counts, counts)


@given(usages, usages, usages)
def test_usage_addition_is_associative_and_commutative(a: Usage, b: Usage, c: Usage) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + Usage() == a
    assert (a + b).total_tokens == a.total_tokens + b.total_tokens


def test_events_are_frozen() -> None:
    done = Done(FinishReason.STOP, "stop", None, AssistantMessage())
    events: list[object] = [
        TextDelta("a"),
        ReasoningDelta("r"),
        ToolCallDelta(0, "id", "name", "{"),
        done,
        Usage(),
    ]
    for event in events:
        field = dataclasses.fields(event)[0].name  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, field, None)


def test_event_defaults() -> None:
    assert ReasoningDelta() == ReasoningDelta("", 0, None, None, None)
    assert ToolCallDelta(2) == ToolCallDelta(2, None, None, "")
    done = Done(FinishReason.LENGTH, "max_tokens", None, AssistantMessage("x"))
    assert done.usage is None  # absent is not zero
    assert (done.stop_sequence, done.detail, done.response_id, done.model) == (None,) * 4


def test_events_support_match() -> None:
    def kind(event: object) -> str:
        match event:
            case TextDelta(text=t):
                return f"text:{t}"
            case ReasoningDelta(text=t):
                return f"reasoning:{t}"
            case ToolCallDelta(index=i, name=n):
                return f"call:{i}:{n}"
            case Done(finish_reason=r):
                return f"done:{r}"
        return "?"

    assert kind(TextDelta("a")) == "text:a"
    assert kind(ReasoningDelta("b")) == "reasoning:b"
    assert kind(ToolCallDelta(1, name="f")) == "call:1:f"
    assert kind(Done(FinishReason.STOP, None, None, AssistantMessage())) == "done:stop"
