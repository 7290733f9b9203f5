"""The Anthropic decoder, fed frames directly (no HTTP)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmport.adapters.anthropic.decode import FINISH_REASONS, INCOMPLETE_KEY, AnthropicDecoder
from llmport.core.raw import END, Finish, MessageLayout, ProviderBlock, ResponseInfo
from llmport.domain.errors import (
    ErrorCategory,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

from .helpers import (
    MESSAGE_STOP,
    PING,
    block_start,
    block_stop,
    decode_all,
    delta,
    frame,
    json_delta,
    message_delta,
    message_start,
    text_delta,
    text_message,
    through_guard,
)

# --- the happy path ------------------------------------------------------------------------------


def test_text_message_items_in_order() -> None:
    items = decode_all(text_message("Hel", "lo"))
    assert items == [
        ResponseInfo("msg_1", "claude-test"),
        Usage(input_tokens=10, output_tokens=1),
        TextDelta("Hel"),
        TextDelta("lo"),
        Finish(FinishReason.STOP, "end_turn"),
        Usage(input_tokens=10, output_tokens=5),
        END,
    ]


def test_json_padded_with_spaces_and_ping_with_spaces() -> None:
    # Anthropic pads data lines with runs of spaces before the closing brace.
    padded = message_start()[1][:-1] + "               }"
    frames = [
        ("message_start", padded),
        PING,
        (
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}   }',
        ),
        (
            "content_block_delta",
            '{"type":"content_block_delta","index":0,'
            '"delta":{"type":"text_delta","text":"hi"}          }',
        ),
        ("content_block_stop", '{"type":"content_block_stop","index":0             }'),
        message_delta(),
        ("message_stop", '{"type":"message_stop" }'),
    ]
    items = decode_all(frames)
    assert TextDelta("hi") in items
    assert items[-1] is END


def test_ping_without_event_name_and_unknown_events_are_ignored() -> None:
    decoder = AnthropicDecoder()
    assert decoder.feed("", '{"type": "ping"}') == []
    assert decoder.feed("future_event", '{"type":"future_event","x":1}') == []
    items = decode_all(text_message("ok"), decoder)
    assert TextDelta("ok") in items


def test_unknown_fields_are_ignored() -> None:
    frames = text_message("ok")
    data = json.loads(frames[2][1])
    data["new_field"] = {"nested": [1, 2]}
    data["delta"]["also_new"] = True
    frames[2] = ("content_block_delta", json.dumps(data))
    assert TextDelta("ok") in decode_all(frames)


def test_dispatch_is_on_the_json_type_not_the_event_name() -> None:
    frames = [("", data) for _, data in text_message("a", "b")]
    items = decode_all(frames)
    assert [i for i in items if isinstance(i, TextDelta)] == [TextDelta("a"), TextDelta("b")]
    assert items[-1] is END


def test_text_given_in_the_block_start_is_emitted() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "text", "text": "already "}),
        text_delta(0, "here"),
        block_stop(0),
        message_delta(),
        MESSAGE_STOP,
    ]
    deltas = [i for i in decode_all(frames) if isinstance(i, TextDelta)]
    assert deltas == [TextDelta("already "), TextDelta("here")]


# --- thinking ------------------------------------------------------------------------------------


async def test_thinking_then_text_keeps_the_signature_on_the_block_index() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, {"type": "thinking_delta", "thinking": "Let me "}),
        delta(0, {"type": "thinking_delta", "thinking": "think."}),
        delta(0, {"type": "thinking_delta", "thinking": ""}),
        delta(0, {"type": "signature_delta", "signature": "EtYDsig=="}),
        block_stop(0),
        block_start(1, {"type": "text", "text": ""}),
        text_delta(1, "Answer"),
        block_stop(1),
        message_delta(),
        MESSAGE_STOP,
    ]
    items = decode_all(frames)
    reasoning = [i for i in items if isinstance(i, ReasoningDelta)]
    assert reasoning == [
        ReasoningDelta("Let me ", 0),
        ReasoningDelta("think.", 0),
        ReasoningDelta(index=0, signature="EtYDsig=="),
    ]
    _, done = await through_guard(frames)
    (part,) = done.message.reasoning
    assert (part.text, part.signature, part.provider) == ("Let me think.", "EtYDsig==", "anthropic")
    assert done.message.text == "Answer"


async def test_redacted_thinking_carries_its_data_as_encrypted() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "redacted_thinking", "data": "EqkECkYI=="}),
        block_stop(0),
        block_start(1, {"type": "redacted_thinking", "data": "EtgBCkYI=="}),
        block_stop(1),
        block_start(2, {"type": "text", "text": ""}),
        text_delta(2, "ok"),
        block_stop(2),
        message_delta(),
        MESSAGE_STOP,
    ]
    items = decode_all(frames)
    assert ReasoningDelta(index=0, encrypted="EqkECkYI==") in items
    assert ReasoningDelta(index=1, encrypted="EtgBCkYI==") in items
    _, done = await through_guard(frames)
    assert [(r.text, r.encrypted, r.signature) for r in done.message.reasoning] == [
        ("", "EqkECkYI==", None),
        ("", "EtgBCkYI==", None),
    ]


def test_redacted_thinking_without_data_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    with pytest.raises(StreamProtocolError, match="redacted_thinking"):
        decoder.feed(*block_start(0, {"type": "redacted_thinking"}))


# --- tool calls ----------------------------------------------------------------------------------


async def test_tool_use_fragments_carry_the_block_index_and_assemble() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        text_delta(0, "Calling."),
        block_stop(0),
        block_start(1, {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}),
        json_delta(1, ""),
        json_delta(1, '{"a": 2'),
        json_delta(1, ', "b": 3}'),
        block_stop(1),
        block_start(2, {"type": "tool_use", "id": "toolu_2", "name": "mul", "input": {}}),
        json_delta(2, '{"a": 2, "b": 3}'),
        block_stop(2),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    calls = [i for i in decode_all(frames) if isinstance(i, ToolCallDelta)]
    assert calls == [
        ToolCallDelta(1, "toolu_1", "add", ""),
        ToolCallDelta(1, None, None, '{"a": 2'),
        ToolCallDelta(1, None, None, ', "b": 3}'),
        ToolCallDelta(2, "toolu_2", "mul", ""),
        ToolCallDelta(2, None, None, '{"a": 2, "b": 3}'),
    ]
    _, done = await through_guard(frames)
    assert done.finish_reason is FinishReason.TOOL_CALLS
    assert [(c.id, c.name, dict(c.arguments)) for c in done.message.tool_calls] == [
        ("toolu_1", "add", {"a": 2, "b": 3}),
        ("toolu_2", "mul", {"a": 2, "b": 3}),
    ]


async def test_tool_use_without_any_delta_means_empty_arguments() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}),
        block_stop(0),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    _, done = await through_guard(frames)
    (call,) = done.message.tool_calls
    assert (call.name, dict(call.arguments), call.complete) == ("now", {}, True)


async def test_tool_input_given_whole_in_the_block_start_is_used() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": "é"}}),
        block_stop(0),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    _, done = await through_guard(frames)
    assert dict(done.message.tool_calls[0].arguments) == {"x": "é"}


async def test_tool_json_cut_by_max_tokens_is_length_and_incomplete() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "make_file", "input": {}}),
        json_delta(0, '{"filename": "taxes.txt", "lines": ["a",'),
        # no content_block_stop: the token limit cut the block
        message_delta("max_tokens", output_tokens=124),
        MESSAGE_STOP,
    ]
    _, done = await through_guard(frames)
    assert done.finish_reason is FinishReason.LENGTH
    assert done.raw_finish_reason == "max_tokens"
    (call,) = done.message.tool_calls
    assert call.complete is False
    assert call.raw_arguments == '{"filename": "taxes.txt", "lines": ["a",'


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"type": "tool_use", "id": "", "name": "f", "input": {}}, "without an id"),
        ({"type": "tool_use", "name": "f", "input": {}}, "without an id"),
        ({"type": "tool_use", "id": "t1", "name": "", "input": {}}, "without a name"),
    ],
)
def test_tool_use_without_id_or_name_is_a_protocol_error(block: dict, message: str) -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    with pytest.raises(StreamProtocolError, match=message):
        decoder.feed(*block_start(0, block))


def test_a_repeated_tool_use_id_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "tool_use", "id": "t1", "name": "f", "input": {}}))
    decoder.feed(*block_stop(0))
    with pytest.raises(StreamProtocolError, match="used twice"):
        decoder.feed(*block_start(1, {"type": "tool_use", "id": "t1", "name": "g", "input": {}}))


# --- server-side blocks and citations ------------------------------------------------------------


async def test_server_tool_blocks_are_assembled_into_provider_blocks_in_order() -> None:
    result = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [{"type": "web_search_result", "url": "https://x", "encrypted_content": "E"}],
    }
    frames = [
        message_start(),
        block_start(
            0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
        ),
        json_delta(0, '{"query": '),
        json_delta(0, '"weather"}'),
        block_stop(0),
        block_start(1, result),
        block_stop(1),
        block_start(2, {"type": "text", "text": ""}),
        text_delta(2, "Sunny."),
        block_stop(2),
        message_delta(),
        MESSAGE_STOP,
    ]
    blocks = [i for i in decode_all(frames) if isinstance(i, ProviderBlock)]
    assert [dict(b.data) for b in blocks] == [
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "weather"},
        },
        result,
    ]
    (layout,) = [i for i in decode_all(frames) if isinstance(i, MessageLayout)]
    assert dict(layout.data) == {
        "content_order": [
            {"type": "server_tool_use", "index": 0},
            {"type": "web_search_tool_result", "index": 1},
            {"type": "text", "index": 2, "length": 6},
        ]
    }
    _, done = await through_guard(frames)
    # Server-side tools are the provider's business: never client tool calls.
    assert done.message.tool_calls == ()
    assert done.finish_reason is FinishReason.STOP
    assert [b["type"] for b in done.message.provider_blocks] == [
        "server_tool_use",
        "web_search_tool_result",
    ]
    assert done.message.layout == layout.data


def test_unknown_block_types_and_their_deltas_are_kept_as_provider_blocks() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "compaction", "content": None}),
        delta(0, {"type": "compaction_delta", "content": "Summary "}),
        delta(0, {"type": "compaction_delta", "content": "of before."}),
        block_stop(0),
        block_start(1, {"type": "hologram", "shape": "cube"}),
        delta(1, {"type": "hologram_delta", "shape": {"sides": 6}}),
        block_stop(1),
        message_delta(),
        MESSAGE_STOP,
    ]
    blocks = [dict(i.data) for i in decode_all(frames) if isinstance(i, ProviderBlock)]
    assert blocks == [
        {"type": "compaction", "content": "Summary of before."},
        {"type": "hologram", "shape": {"sides": 6}},
    ]
    (layout,) = [i for i in decode_all(frames) if isinstance(i, MessageLayout)]
    assert [e["type"] for e in layout.data["content_order"]] == ["compaction", "hologram"]


def test_a_server_block_the_message_never_closed_is_kept_and_flagged() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}),
        json_delta(0, '{"query": "wea'),
        message_delta("max_tokens"),
        MESSAGE_STOP,
    ]
    (block,) = [i for i in decode_all(frames) if isinstance(i, ProviderBlock)]
    assert block.data["type"] == "server_tool_use"
    assert block.data[INCOMPLETE_KEY] is True


def test_the_content_order_record_lists_every_block_of_a_message_with_server_blocks() -> None:
    frames = [
        message_start(),
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, {"type": "signature_delta", "signature": "s"}),
        block_stop(0),
        block_start(1, {"type": "text", "text": "Let me "}),
        text_delta(1, "séarch."),
        block_stop(1),
        block_start(2, {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}),
        block_stop(2),
        block_start(3, {"type": "tool_use", "id": "t1", "name": "f", "input": {}}),
        block_stop(3),
        block_start(4, {"type": "redacted_thinking", "data": "R"}),
        block_stop(4),
        message_delta("pause_turn"),
        MESSAGE_STOP,
    ]
    *_, layout, end = decode_all(frames)
    assert end is END
    assert isinstance(layout, MessageLayout)
    assert dict(layout.data) == {
        "content_order": [
            {"type": "thinking", "index": 0},
            {"type": "text", "index": 1, "length": len("Let me séarch.")},
            {"type": "server_tool_use", "index": 2},
            {"type": "tool_use", "index": 3, "id": "t1"},
            {"type": "redacted_thinking", "index": 4},
        ],
    }


def test_no_content_order_record_without_server_blocks() -> None:
    items = decode_all(text_message("plain"))
    assert not [i for i in items if isinstance(i, ProviderBlock | MessageLayout)]


def test_citations_stay_text_and_are_kept_as_metadata() -> None:
    citation = {"type": "web_search_result_location", "url": "https://x", "cited_text": "70F"}
    frames = [
        message_start(),
        block_start(0, {"citations": [], "type": "text", "text": ""}),
        delta(0, {"type": "citations_delta", "citation": citation}),
        text_delta(0, "It is "),
        text_delta(0, "70F."),
        block_stop(0),
        block_start(1, {"citations": [], "type": "text", "text": ""}),
        text_delta(1, " Enjoy."),
        block_stop(1),
        message_delta(),
        MESSAGE_STOP,
    ]
    items = decode_all(frames)
    assert [i.text for i in items if isinstance(i, TextDelta)] == ["It is ", "70F.", " Enjoy."]
    assert not [i for i in items if isinstance(i, ProviderBlock)]
    (meta,) = [i for i in items if isinstance(i, MessageLayout)]
    assert dict(meta.data) == {
        "citations": [{"index": 0, "text": "It is 70F.", "citations": [citation]}]
    }


# --- finish reasons and usage --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("tool_use", FinishReason.TOOL_CALLS),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.CONTEXT_WINDOW),
        ("refusal", FinishReason.REFUSAL),
        ("pause_turn", FinishReason.PAUSED),
        ("something_new", FinishReason.OTHER),
    ],
)
def test_stop_reasons(raw: str, expected: FinishReason) -> None:
    items = decode_all(text_message("x", stop_reason=raw))
    (finish,) = [i for i in items if isinstance(i, Finish)]
    assert finish == Finish(expected, raw)


def test_the_finish_table_covers_every_documented_stop_reason() -> None:
    assert set(FINISH_REASONS) == {
        "end_turn",
        "stop_sequence",
        "tool_use",
        "max_tokens",
        "model_context_window_exceeded",
        "refusal",
        "pause_turn",
    }


async def test_stop_sequence_is_carried_to_done() -> None:
    frames = text_message("alpha ")
    frames[-2] = message_delta("stop_sequence", "🌊")
    _, done = await through_guard(frames)
    assert (done.finish_reason, done.raw_finish_reason, done.stop_sequence) == (
        FinishReason.STOP,
        "stop_sequence",
        "🌊",
    )


async def test_message_delta_without_stop_reason_ends_as_stop() -> None:
    frames = text_message("x")
    frames[-2] = message_delta(None)
    _, done = await through_guard(frames)
    assert (done.finish_reason, done.raw_finish_reason) == (FinishReason.STOP, None)


async def test_usage_merges_start_and_delta_and_counts_the_cache_as_input() -> None:
    frames = text_message("x")
    frames[0] = message_start(
        input_tokens=100,
        cache_read_input_tokens=2000,
        cache_creation_input_tokens=50,
        output_tokens=1,
    )
    frames[-2] = message_delta("end_turn", output_tokens=42)
    _, done = await through_guard(frames)
    assert done.usage == Usage(input_tokens=2150, output_tokens=42, cached_input_tokens=2000)
    assert (done.response_id, done.model) == ("msg_1", "claude-test")


async def test_cumulative_counts_in_message_delta_win() -> None:
    frames = text_message("x")
    frames[0] = message_start(input_tokens=100, cache_read_input_tokens=55096, output_tokens=7)
    frames[-2] = message_delta(
        "end_turn", input_tokens=181, cache_read_input_tokens=0, output_tokens=8
    )
    _, done = await through_guard(frames)
    assert done.usage == Usage(input_tokens=181, output_tokens=8, cached_input_tokens=0)


# --- the end of the body -------------------------------------------------------------------------


def test_eof_after_message_stop_adds_nothing() -> None:
    decoder = AnthropicDecoder()
    for f in text_message("x"):
        decoder.feed(*f)
    assert decoder.eof() == []


@pytest.mark.parametrize("cut", [0, 1, 3, 5])
def test_eof_before_message_stop_is_truncated(cut: int) -> None:
    decoder = AnthropicDecoder()
    for f in text_message("x")[:cut]:
        decoder.feed(*f)
    with pytest.raises(StreamTruncatedError) as info:
        decoder.eof()
    assert info.value.provider == "anthropic"


# --- protocol errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        block_start(0, {"type": "text", "text": ""}),
        text_delta(0, "x"),
        block_stop(0),
        message_delta(),
        MESSAGE_STOP,
    ],
    ids=["block_start", "delta", "block_stop", "message_delta", "message_stop"],
)
def test_events_before_message_start_are_protocol_errors(first: tuple[str, str]) -> None:
    with pytest.raises(StreamProtocolError, match="before message_start"):
        AnthropicDecoder().feed(*first)


def test_a_delta_for_a_block_never_opened_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    with pytest.raises(StreamProtocolError, match="block 3"):
        decoder.feed(*text_delta(3, "x"))


def test_a_delta_after_its_block_stopped_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    decoder.feed(*block_stop(0))
    with pytest.raises(StreamProtocolError, match="not open"):
        decoder.feed(*text_delta(0, "x"))
    with pytest.raises(StreamProtocolError, match="not open"):
        decoder.feed(*block_stop(0))


def test_a_block_started_twice_and_a_second_message_start_are_protocol_errors() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    with pytest.raises(StreamProtocolError, match="started twice"):
        decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    with pytest.raises(StreamProtocolError, match="second"):
        decoder.feed(*message_start())


def test_events_after_message_stop_are_protocol_errors() -> None:
    decoder = AnthropicDecoder()
    for f in text_message("x"):
        decoder.feed(*f)
    with pytest.raises(StreamProtocolError, match="after message_stop"):
        decoder.feed(*block_start(1, {"type": "text", "text": ""}))


def test_a_known_delta_on_the_wrong_block_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    with pytest.raises(StreamProtocolError, match="input_json_delta"):
        decoder.feed(*json_delta(0, "{"))
    with pytest.raises(StreamProtocolError, match="signature_delta"):
        decoder.feed(*delta(0, {"type": "signature_delta", "signature": "s"}))


def test_an_unknown_delta_type_on_a_known_block_is_ignored() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    decoder.feed(*block_start(0, {"type": "text", "text": ""}))
    assert decoder.feed(*delta(0, {"type": "sparkle_delta", "sparkle": 1})) == []


@pytest.mark.parametrize(
    "data", ['{"type":"content_block_delta","index":0,', "[1, 2]", '"text"', "null"]
)
def test_undecodable_or_non_object_json_is_a_protocol_error_without_the_payload(
    data: str,
) -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    with pytest.raises(StreamProtocolError) as info:
        decoder.feed("content_block_delta", data)
    assert data not in str(info.value)
    assert info.value.provider == "anthropic"


def test_a_missing_block_index_is_a_protocol_error() -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    with pytest.raises(StreamProtocolError, match="index"):
        decoder.feed(*frame({"type": "content_block_start", "content_block": {"type": "text"}}))


# --- in-band errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_type", "category", "retryable"),
    [
        ("overloaded_error", ErrorCategory.OVERLOADED, True),
        ("rate_limit_error", ErrorCategory.RATE_LIMIT, True),
        ("api_error", ErrorCategory.SERVER, True),
        ("invalid_request_error", ErrorCategory.BAD_REQUEST, False),
        ("authentication_error", ErrorCategory.AUTHENTICATION, False),
        ("brand_new_error", ErrorCategory.UNKNOWN, False),
    ],
)
def test_error_events_raise_in_band_errors(
    error_type: str, category: ErrorCategory, retryable: bool
) -> None:
    decoder = AnthropicDecoder()
    decoder.feed(*message_start())
    data = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    with pytest.raises(StreamInBandError) as info:
        decoder.feed("error", json.dumps(data))
    error = info.value
    assert error.in_band_category is category
    assert error.error_category is category
    assert error.retryable is retryable
    assert error.status_code is None
    assert error.code == error_type
    assert error.provider == "anthropic"


def test_an_error_event_as_the_very_first_event_is_in_band_not_protocol() -> None:
    data = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    with pytest.raises(StreamInBandError) as info:
        AnthropicDecoder().feed("error", data)
    assert info.value.in_band_category is ErrorCategory.OVERLOADED


def test_an_error_object_without_an_event_name_is_in_band() -> None:
    data = '{"type":"error","error":{"type":"api_error","message":"Internal"}}'
    with pytest.raises(StreamInBandError):
        AnthropicDecoder().feed("", data)


async def test_an_error_after_text_ends_the_stream_with_after_output() -> None:
    frames = text_message("partial")[:3] + [
        ("error", '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
    ]
    with pytest.raises(StreamInBandError) as info:
        await through_guard(frames)
    assert info.value.after_output is True
    assert info.value.in_band_category is ErrorCategory.OVERLOADED


# --- properties -----------------------------------------------------------------------------------

_block = st.one_of(
    st.tuples(st.just("text"), st.lists(st.text(min_size=1), min_size=1, max_size=4)),
    st.tuples(st.just("thinking"), st.lists(st.text(min_size=1), min_size=1, max_size=4)),
    st.tuples(
        st.just("tool"),
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(), max_size=3),
    ),
)


@settings(max_examples=60, deadline=None)
@given(blocks=st.lists(_block, max_size=6), chunk=st.integers(min_value=1, max_value=9))
async def test_any_sequence_of_blocks_assembles_to_its_content(
    blocks: list[tuple[str, object]], chunk: int
) -> None:
    frames = [message_start()]
    expected_text, expected_thinking, expected_calls = [], [], []
    for index, (kind, content) in enumerate(blocks):
        if kind == "text":
            assert isinstance(content, list)
            frames.append(block_start(index, {"type": "text", "text": ""}))
            frames.extend(text_delta(index, piece) for piece in content)
            expected_text.extend(content)
        elif kind == "thinking":
            assert isinstance(content, list)
            frames.append(block_start(index, {"type": "thinking", "thinking": "", "signature": ""}))
            frames.extend(delta(index, {"type": "thinking_delta", "thinking": p}) for p in content)
            frames.append(delta(index, {"type": "signature_delta", "signature": f"sig{index}"}))
            expected_thinking.append(("".join(content), f"sig{index}"))
        else:
            arguments = json.dumps(content)
            frames.append(
                block_start(
                    index, {"type": "tool_use", "id": f"t{index}", "name": "f", "input": {}}
                )
            )
            frames.extend(
                json_delta(index, arguments[i : i + chunk]) for i in range(0, len(arguments), chunk)
            )
            expected_calls.append((f"t{index}", content))
        frames.append(block_stop(index))
    frames += [message_delta("tool_use" if expected_calls else "end_turn"), MESSAGE_STOP]
    _, done = await through_guard(frames)
    assert done.message.text == "".join(expected_text)
    assert [(r.text, r.signature) for r in done.message.reasoning] == expected_thinking
    assert [(c.id, dict(c.arguments)) for c in done.message.tool_calls] == expected_calls
    assert done.finish_reason is (FinishReason.TOOL_CALLS if expected_calls else FinishReason.STOP)


# --- the fast JSON path -------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _same_as_json_loads(text: str) -> None:
    from llmport.core.decoding import parse_json as _parse

    try:
        expected = json.loads(text)
    except ValueError as error:
        with pytest.raises(ValueError) as info:
            _parse(text)
        assert type(info.value) is type(error)
        return
    # compared as JSON text, so NaN equals NaN
    assert json.dumps(_parse(text)) == json.dumps(expected)


@settings(max_examples=200, deadline=None)
@given(
    value=_json_values,
    before=st.sampled_from(["", " ", "\t"]),
    after=st.sampled_from(["", " ", "   ", "\n", "x", " }", ","]),
)
def test_the_fast_json_path_accepts_and_refuses_exactly_what_json_loads_does(
    value: object, before: str, after: str
) -> None:
    _same_as_json_loads(before + json.dumps(value) + after)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_the_fast_json_path_on_arbitrary_text(text: str) -> None:
    _same_as_json_loads(text)
