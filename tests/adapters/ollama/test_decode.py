"""``OllamaDecoder`` fed lines: every quirk of the recorded streams and of the NDJSON rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport.adapters.ollama.decode import OllamaDecoder, map_done_reason
from llmport.core.raw import END, Finish, RawEvent, ResponseInfo
from llmport.domain.errors import (
    ErrorCategory,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage


def line(**fields: Any) -> str:
    return json.dumps({"model": "qwen3:4b", "created_at": "2026-08-05T08:10:56Z", **fields})


def message(**fields: Any) -> str:
    return line(message={"role": "assistant", "content": "", **fields}, done=False)


DONE = line(
    message={"role": "assistant", "content": ""},
    done=True,
    done_reason="stop",
    total_duration=1,
    prompt_eval_count=18,
    eval_count=64,
)


def decode(*lines: str) -> list[RawEvent]:
    decoder = OllamaDecoder()
    out: list[RawEvent] = []
    for text in lines:
        out.extend(decoder.feed("", text))
    out.extend(decoder.eof())
    return out


def test_text_thinking_and_the_done_line() -> None:
    items = decode(message(content="Hi"), message(thinking="hmm"), DONE)
    assert items == [
        ResponseInfo(model="qwen3:4b"),
        TextDelta("Hi"),
        ReasoningDelta("hmm"),
        Finish(FinishReason.STOP, "stop"),
        Usage(18, 64),
        END,
    ]


def test_go_escapes_in_content_are_plain_text() -> None:
    raw = (
        '{"model":"m","message":{"role":"assistant","content":"a \\u003cb\\u003e \\u0026"},'
        '"done":false}'
    )
    assert decode(raw, DONE)[1] == TextDelta("a <b> &")


def test_whole_tool_calls_with_object_arguments_one_delta_each() -> None:
    calls = [
        {"id": "call_1", "function": {"index": 0, "name": "add", "arguments": {"x": 2, "y": 3}}},
        {"function": {"index": 0, "name": "add", "arguments": {}}},
    ]
    items = decode(message(tool_calls=calls[:1]), message(tool_calls=calls[1:]), DONE)
    deltas = [i for i in items if isinstance(i, ToolCallDelta)]
    # Numbered in arrival order (function.index restarts), id kept when sent, else left to the
    # assembler, arguments as compact JSON text.
    assert deltas == [
        ToolCallDelta(0, "call_1", "add", '{"x":2,"y":3}'),
        ToolCallDelta(1, None, "add", "{}"),
    ]


def test_string_arguments_and_missing_arguments() -> None:
    calls = [{"function": {"name": "f", "arguments": '{"a":1}'}}, {"function": {"name": "g"}}]
    deltas = [i for i in decode(message(tool_calls=calls), DONE) if isinstance(i, ToolCallDelta)]
    assert [(d.name, d.arguments) for d in deltas] == [("f", '{"a":1}'), ("g", "{}")]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("", FinishReason.STOP),
        (None, FinishReason.STOP),
        ("load", FinishReason.OTHER),
        ("unload", FinishReason.OTHER),
        ("connection_closed", FinishReason.OTHER),
    ],
)
def test_done_reasons(raw: str | None, reason: FinishReason) -> None:
    assert map_done_reason(raw) is reason
    fields: dict[str, Any] = {"done": True}
    if raw is not None:
        fields["done_reason"] = raw
    finish = next(i for i in decode(line(**fields)) if isinstance(i, Finish))
    assert finish == Finish(reason, raw)


def test_absent_counts_are_absent_usage_not_zero() -> None:
    items = decode(line(done=True, done_reason="stop"))
    assert not [i for i in items if isinstance(i, Usage)]
    items = decode(line(done=True, eval_count=5))
    assert [i for i in items if isinstance(i, Usage)] == [Usage(0, 5)]


def test_an_error_line_is_an_in_band_error_before_or_after_output() -> None:
    with pytest.raises(StreamInBandError, match="model runner crashed") as caught:
        decode(message(content="Hi"), json.dumps({"error": "model runner crashed"}))
    assert caught.value.retryable is False
    with pytest.raises(StreamInBandError) as busy:
        decode(json.dumps({"error": "server busy, please try again.  maximum pending requests"}))
    assert busy.value.in_band_category is ErrorCategory.OVERLOADED
    assert busy.value.retryable is True


def test_generate_shaped_lines_are_read_as_text() -> None:
    items = decode(
        line(response="Hel", done=False),
        line(thinking="t", response="lo", done=False),
        line(response="", done=True, done_reason="stop"),
    )
    assert [i for i in items if isinstance(i, TextDelta | ReasoningDelta)] == [
        TextDelta("Hel"),
        ReasoningDelta("t"),
        TextDelta("lo"),
    ]


def test_a_body_without_the_done_line_is_truncated() -> None:
    with pytest.raises(StreamTruncatedError, match="done"):
        decode(message(content="Hi"))
    with pytest.raises(StreamTruncatedError):
        decode()


def test_a_line_cut_inside_its_json_is_truncation_when_last() -> None:
    cut = DONE[: len(DONE) // 2]
    with pytest.raises(StreamTruncatedError, match="inside a line"):
        decode(message(content="Hi"), cut)


def test_a_bad_line_followed_by_more_lines_is_a_protocol_error() -> None:
    with pytest.raises(StreamProtocolError):
        decode("{not json", DONE)
    with pytest.raises(StreamProtocolError, match="list, not an object"):
        decode("[1, 2]")


def test_nothing_after_the_done_line_is_read() -> None:
    items = decode(DONE, message(content="late"), json.dumps({"error": "late"}))
    assert items[-1] is END
    assert not [i for i in items if isinstance(i, TextDelta)]


def test_unknown_fields_are_ignored() -> None:
    items = decode(message(content="x", images=None, extra={"a": 1}), DONE)
    assert TextDelta("x") in items
