"""``ResponsesDecoder`` fed events: the quirks of the recorded streams and of the API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport.adapters.openai_responses.decode import ResponsesDecoder
from llmport.core.assembler import DeltaAssembler
from llmport.core.raw import (
    END,
    Finish,
    ProviderBlock,
    RawEvent,
    RefusalDelta,
    ToolCallArguments,
    ToolCallData,
)
from llmport.domain.errors import (
    ErrorCategory,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

CREATED = {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5"}}
USAGE = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 7,
         "output_tokens_details": {"reasoning_tokens": 3}}  # fmt: skip
COMPLETED = {"type": "response.completed", "response": {"status": "completed", "usage": USAGE}}
ARGUMENTS_DONE = {
    "type": "response.function_call_arguments.done",
    "output_index": 0,
    "arguments": '{"a": 1}',
}
CALL = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "add", "arguments": ""}


def feed(*events: dict[str, Any] | str, end: bool = True) -> list[RawEvent]:
    decoder = ResponsesDecoder()
    out: list[RawEvent] = []
    for item in events:
        out += decoder.feed("", item if isinstance(item, str) else json.dumps(item))
    if end:
        out += decoder.eof()
    return out


def assemble(items: list[RawEvent]) -> Any:
    assembler = DeltaAssembler(provider="openai")
    reason = FinishReason.STOP
    for item in items:
        if isinstance(item, TextDelta):
            assembler.add_text(item.text)
        elif isinstance(item, ToolCallDelta):
            assembler.add_tool_call(item)
        elif isinstance(item, ToolCallData):
            assembler.add_call_data(item.index, item.data)
        elif isinstance(item, ToolCallArguments):
            assembler.set_call_arguments(item.index, item.arguments)
        elif isinstance(item, ReasoningDelta):
            assembler.add_reasoning(item)
        elif isinstance(item, Finish):
            reason = item.reason
    return assembler.build(reason)


def test_text_usage_and_the_end() -> None:
    items = feed(CREATED, {"type": "response.output_text.delta", "delta": "Hi"}, COMPLETED)
    assert TextDelta("Hi") in items
    assert Usage(10, 7, 4, 3) in items
    assert items[-1] is END
    assert Finish(FinishReason.STOP, "completed") in items


def test_dispatch_is_on_the_json_type_and_done_is_ignored() -> None:
    decoder = ResponsesDecoder()
    assert decoder.feed("wrong-name", json.dumps({"type": "response.output_text.delta",
                                                  "delta": "x"})) == [TextDelta("x")]  # fmt: skip
    assert decoder.feed("", "[DONE]") == []
    assert decoder.feed("", json.dumps({"type": "response.something_new", "x": 1})) == []


def test_a_server_sending_only_done_events_still_yields_everything() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "content": [{"type": "output_text", "text": "Hello"}],
    }
    reasoning = {"id": "rs_1", "type": "reasoning", "encrypted_content": "ENC",
                 "summary": [{"type": "summary_text", "text": "thought"}]}  # fmt: skip
    call = {**CALL, "arguments": '{"a": 1}'}
    items = feed(
        CREATED,
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning},
        {"type": "response.output_item.done", "output_index": 1, "item": message},
        {"type": "response.output_item.done", "output_index": 2, "item": call},
        COMPLETED,
    )
    message_out, reason = assemble(items)
    assert message_out.text == "Hello"
    assert [(r.id, r.text, r.encrypted) for r in message_out.reasoning] == [
        ("rs_1", "thought", "ENC")
    ]
    (tool,) = message_out.tool_calls
    assert (tool.id, tool.name, dict(tool.arguments), dict(tool.provider_data)) == (
        "call_1",
        "add",
        {"a": 1},
        {"item_id": "fc_1"},
    )
    assert reason is FinishReason.TOOL_CALLS


def test_done_arguments_that_disagree_with_the_deltas_win() -> None:
    items = feed(
        {"type": "response.output_item.added", "output_index": 0, "item": CALL},
        {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": '{"a": 9'},
        {
            "type": "response.function_call_arguments.done",
            "output_index": 0,
            "arguments": '{"a": 1}',
        },
        COMPLETED,
    )
    assert ToolCallArguments(0, '{"a": 1}') in items
    message, _ = assemble(items)
    assert dict(message.tool_calls[0].arguments) == {"a": 1}


def test_done_arguments_that_extend_the_deltas_add_the_tail_only() -> None:
    items = feed(
        {"type": "response.output_item.added", "output_index": 0, "item": CALL},
        {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": '{"a": '},
        {
            "type": "response.function_call_arguments.done",
            "output_index": 0,
            "arguments": '{"a": 1}',
        },
        COMPLETED,
    )
    deltas = [i.arguments for i in items if isinstance(i, ToolCallDelta)]
    assert deltas == ["", '{"a": ', "1}"]


def test_encrypted_reasoning_comes_from_the_done_item_not_the_added_one() -> None:
    added = {"id": "rs_1", "type": "reasoning", "encrypted_content": "PROVISIONAL"}
    done = {"id": "rs_1", "type": "reasoning", "encrypted_content": "FINAL", "summary": []}
    items = feed(
        {"type": "response.output_item.added", "output_index": 0, "item": added},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
        COMPLETED,
    )
    message, _ = assemble(items)
    assert message.reasoning[0].encrypted == "FINAL" and message.reasoning[0].id == "rs_1"


def test_summary_parts_of_one_item_are_one_part_joined_by_a_blank_line() -> None:
    def part(index: int, text: str) -> dict[str, Any]:
        return {"type": "response.reasoning_summary_text.delta", "output_index": 0,
                "summary_index": index, "delta": text}  # fmt: skip

    items = feed(part(0, "first"), part(1, "second"), COMPLETED)
    message, _ = assemble(items)
    assert message.reasoning[0].text == "first\n\nsecond"


def test_refusal_and_built_in_items() -> None:
    web = {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"query": "q"}}
    items = feed(
        {"type": "response.refusal.delta", "delta": "No."},
        {"type": "response.output_item.done", "output_index": 0, "item": web},
        COMPLETED,
    )
    assert RefusalDelta("No.") in items
    assert ProviderBlock(web) in items


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("max_output_tokens", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.OTHER),
    ],
)
def test_incomplete_responses_are_done_with_their_reason(
    reason: str, expected: FinishReason
) -> None:
    response = {"status": "incomplete", "incomplete_details": {"reason": reason}}
    event = {"type": "response.incomplete", "response": response}
    assert Finish(expected, reason) in feed(event)


def test_failed_responses_and_error_events_are_typed_in_band_errors() -> None:
    failed = {"type": "response.failed", "response": {"status": "failed",
              "error": {"code": "rate_limit_exceeded", "message": "slow down"}}}  # fmt: skip
    with pytest.raises(StreamInBandError, match="slow down") as caught:
        feed(CREATED, failed)
    assert caught.value.in_band_category is ErrorCategory.RATE_LIMIT and caught.value.retryable
    error = {"type": "error", "code": "server_error", "message": "boom", "sequence_number": 3}
    with pytest.raises(StreamInBandError, match="boom") as server:
        feed({"type": "response.output_text.delta", "delta": "x"}, error)
    assert server.value.in_band_category is ErrorCategory.SERVER
    quota = {"type": "error", "code": "insufficient_quota", "message": "pay up"}
    with pytest.raises(StreamInBandError) as no_retry:
        feed(quota)
    assert no_retry.value.retryable is False


def test_a_body_without_a_terminal_event_is_truncated() -> None:
    with pytest.raises(StreamTruncatedError, match="response.completed"):
        feed(CREATED, {"type": "response.output_text.delta", "delta": "x"})


def test_undecodable_events_are_protocol_errors() -> None:
    with pytest.raises(StreamProtocolError):
        feed("{not json")
    with pytest.raises(StreamProtocolError):
        feed("[1]")


def test_nothing_after_the_terminal_event_counts() -> None:
    items = feed(COMPLETED, {"type": "response.output_text.delta", "delta": "late"})
    assert items[-1] is END and TextDelta("late") not in items
