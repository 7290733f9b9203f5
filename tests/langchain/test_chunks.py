"""``ChunkMaker``: llmport events in, LangChain chunks out, fed by hand (no port, no I/O)."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="the langchain extra is not installed")

from llmport.domain.events import (
    Done,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import AssistantMessage, ToolCall
from llmport.langchain.chunks import ChunkMaker, IncompleteToolCallsError, usage_metadata

MAKER = ChunkMaker(provider="p", model="m")


def test_deltas() -> None:
    assert MAKER.chunk(TextDelta("hi")).content == "hi"
    assert MAKER.chunk(TextDelta("")) is None
    assert MAKER.chunk(ReasoningDelta("why")).additional_kwargs == {"reasoning_content": "why"}
    assert MAKER.chunk(ReasoningDelta("", signature="s")) is None
    assert MAKER.chunk(ToolCallDelta(0, "c", "f", "{")) is None  # held until Done


def test_the_last_chunk() -> None:
    message = AssistantMessage(tool_calls=(ToolCall("c1", "f", {"x": "é"}),))
    last = MAKER.chunk(Done(FinishReason.TOOL_CALLS, "tool_use", None, message, stop_sequence=None))
    assert last is not None and last.chunk_position == "last"
    assert last.usage_metadata is None  # absent is not zero
    assert last.response_metadata == {
        "finish_reason": "tool_calls",
        "raw_finish_reason": "tool_use",
        "model_name": "m",
        "model_provider": "p",
    }
    assert last.tool_call_chunks[0]["args"] == '{"x": "é"}'


def test_incomplete_calls_are_refused() -> None:
    cut = AssistantMessage(
        tool_calls=(ToolCall("c1", "f", {}, raw_arguments='{"x', complete=False),)
    )
    with pytest.raises(IncompleteToolCallsError, match="'length'"):
        MAKER.last(Done(FinishReason.LENGTH, "length", None, cut))
    with pytest.raises(IncompleteToolCallsError):  # complete-looking but not a tool-call turn
        MAKER.last(
            Done(
                FinishReason.STOP, "stop", None, AssistantMessage(tool_calls=(ToolCall("c", "f"),))
            )
        )
    with pytest.raises(IncompleteToolCallsError):  # a tool-call turn with a cut call
        MAKER.last(Done(FinishReason.TOOL_CALLS, "tool_calls", None, cut))


def test_usage_details_only_when_reported() -> None:
    assert usage_metadata(Usage(3, 4)) == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    detailed = usage_metadata(Usage(10, 5, cached_input_tokens=6, reasoning_tokens=2))
    assert detailed["input_token_details"] == {"cache_read": 6}
    assert detailed["output_token_details"] == {"reasoning": 2}
