"""Every recorded Anthropic stream (Vertex included) through ``AnthropicAdapter``.

For each stream: the events and ``Done`` equal the golden file (``tests/golden/anthropic``),
the conformance kit passes, the result agrees with facts read straight from the body and
meta.json (an independent parse, so a wrong golden cannot hide), and random byte splits of the
body give exactly the same events.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Any

import pytest

from llmport.domain.errors import StreamTruncatedError
from llmport.domain.events import Done, FinishReason
from tests.support.streams import RecordedStream, get_stream, stream_params

from .golden import golden_form, golden_path
from .helpers import mock_adapter, served_body, split_body, stream_events

STREAMS = stream_params("anthropic_messages_sse")


def test_all_24_recordings_are_covered() -> None:
    names = [p.values[0].name for p in STREAMS if p.values[0] is not None]
    if not names:
        pytest.skip("the recorded streams are absent")
    assert len(names) == 24
    assert "anthropic_vertex/claude-tool-use" in names


@pytest.mark.parametrize("stream", STREAMS)
async def test_stream_matches_its_golden(stream: RecordedStream) -> None:
    events = await stream_events(mock_adapter([served_body(stream)]))
    golden = json.loads(golden_path(stream.name).read_text(encoding="utf-8"))
    assert golden.pop("stream") == stream.name
    assert golden_form(events) == golden


def _facts(body: bytes) -> dict[str, Any]:
    """What the body says, parsed the simplest way (every ``data:`` line is one JSON object)."""
    facts: dict[str, Any] = {
        "text": [],
        "thinking": defaultdict(list),
        "signature": {},
        "redacted": {},
        "tools": {},
        "json": defaultdict(list),
        "stopped": set(),
        "server": [],
        "stop_reason": None,
        "stop_sequence": None,
        "output_tokens": None,
        "id": None,
        "order": [],
    }
    for line in body.decode().splitlines():
        if not line.startswith("data:"):
            continue
        obj = json.loads(line[5:])
        kind = obj["type"]
        if kind == "message_start":
            facts["id"] = obj["message"]["id"]
        elif kind == "content_block_start":
            block, index = obj["content_block"], obj["index"]
            facts["order"].append((block["type"], index))
            if block["type"] == "tool_use":
                facts["tools"][index] = (block["id"], block["name"])
            elif block["type"] == "redacted_thinking":
                facts["redacted"][index] = block["data"]
            elif block["type"] not in ("text", "thinking"):
                facts["server"].append(block["type"])
        elif kind == "content_block_delta":
            delta, index = obj["delta"], obj["index"]
            if delta["type"] == "text_delta":
                facts["text"].append(delta["text"])
            elif delta["type"] == "thinking_delta":
                facts["thinking"][index].append(delta["thinking"])
            elif delta["type"] == "signature_delta":
                facts["signature"][index] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                facts["json"][index].append(delta["partial_json"])
        elif kind == "content_block_stop":
            facts["stopped"].add(obj["index"])
        elif kind == "message_delta":
            facts["stop_reason"] = obj["delta"]["stop_reason"]
            facts["stop_sequence"] = obj["delta"].get("stop_sequence")
            facts["output_tokens"] = obj["usage"]["output_tokens"]
    return facts


_FINISH = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "tool_use": FinishReason.TOOL_CALLS,
    "max_tokens": FinishReason.LENGTH,
    "pause_turn": FinishReason.PAUSED,
}


@pytest.mark.parametrize("stream", STREAMS)
async def test_stream_agrees_with_its_body_and_meta(stream: RecordedStream) -> None:
    events = await stream_events(mock_adapter([served_body(stream)]))
    done = events[-1]
    assert isinstance(done, Done)
    facts = _facts(stream.body)
    message = done.message
    # finish reason: the recorded one, normalised
    assert done.raw_finish_reason == stream.meta["finish_reasons"][-1] == facts["stop_reason"]
    assert done.finish_reason is _FINISH[facts["stop_reason"]]
    assert done.stop_sequence == facts["stop_sequence"]
    assert done.response_id == facts["id"]
    assert done.usage is not None and done.usage.output_tokens == facts["output_tokens"]
    # text
    assert message.text == "".join(facts["text"])
    # reasoning: thinking text and signatures exactly, redacted data exactly, in block order
    expected_reasoning = sorted(
        [(i, "".join(t), facts["signature"].get(i), None) for i, t in facts["thinking"].items()]
        + [(i, "", None, data) for i, data in facts["redacted"].items()]
    )
    assert [(r.text, r.signature, r.encrypted) for r in message.reasoning] == [
        (text, sig, data) for _, text, sig, data in expected_reasoning
    ]
    assert all(r.provider == "anthropic" for r in message.reasoning)
    if "signature" in stream.features:
        assert any(r.signature for r in message.reasoning)
    if "redacted_thinking" in stream.features:
        assert any(r.encrypted for r in message.reasoning)
    # client tool calls: ids, names, arguments; a call the stream never closed is incomplete
    calls = [(c.id, c.name, dict(c.arguments), c.complete) for c in message.tool_calls]
    expected_calls = []
    for index, (call_id, name) in sorted(facts["tools"].items()):
        raw = "".join(facts["json"].get(index, []))
        closed = index in facts["stopped"]
        arguments = json.loads(raw) if (raw and closed) else {}
        expected_calls.append((call_id, name, arguments, closed))
    assert calls == expected_calls
    # server-side blocks: kept, in order, never client tool calls
    server_blocks = [b["type"] for b in message.provider_blocks]
    assert server_blocks == facts["server"]
    if "server_tools" in stream.features:
        assert server_blocks
    # a message with server-side blocks records the order of all its blocks
    record = message.layout.get("content_order")
    if facts["server"]:
        assert record is not None
        assert [(e["type"], e["index"]) for e in record] == facts["order"]
        lengths = [e["length"] for e in record if e["type"] == "text"]
        assert sum(lengths) == len(message.text)
    else:
        assert record is None


@pytest.mark.parametrize("stream", STREAMS)
async def test_random_byte_splits_give_identical_events(stream: RecordedStream) -> None:
    body = served_body(stream)
    whole = await stream_events(mock_adapter([body]))
    rng = random.Random(stream.name)
    splits = [split_body(body, rng, 1, 7) for _ in range(3)]
    splits.append(split_body(body, rng, 1, 1) if len(body) < 20_000 else [body[:1], body[1:]])
    for chunks in splits:
        assert await stream_events(mock_adapter(chunks)) == whole


async def test_max_tokens_mid_tool_json_ends_in_length_with_an_incomplete_call() -> None:
    stream = get_stream("anthropic/max-tokens-mid-tool-json")
    events = await stream_events(mock_adapter([served_body(stream)]))
    done = events[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.LENGTH
    (call,) = done.message.tool_calls
    assert call.complete is False
    assert call.raw_arguments is not None and call.raw_arguments.endswith('"Filing taxes')


async def test_the_fixture_as_stored_without_its_last_blank_line_is_truncated() -> None:
    # The stored file ends inside its message_stop event (no blank line): per the SSE
    # standard that event is dropped, so the end marker never arrived.
    stream = get_stream("anthropic/max-tokens-mid-tool-json")
    assert not stream.body.endswith(b"\n")
    with pytest.raises(StreamTruncatedError) as info:
        await stream_events(mock_adapter([stream.body]))
    assert info.value.after_output is True
