"""Every recorded Ollama stream through ``OllamaAdapter``: against its golden, whole, one byte at
a time and in random splits, and against an independent oracle (a plain reading of the body's
lines and ``meta.json``, written apart from the decoder), so a wrong golden cannot hide."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport.adapters.ollama import OllamaAdapter
from tests.support.goldens import (
    assert_every_recording_has_a_golden,
    assert_splits_do_not_matter,
    collect,
    load_golden,
    mock_client,
)
from tests.support.streams import RecordedStream, recorded_streams, stream_params

STREAMS = stream_params("ollama_ndjson")


async def run(stream: RecordedStream, sizes: list[int] | None = None) -> dict[str, Any]:
    async with mock_client(stream.body, sizes) as client:
        result = await collect(OllamaAdapter("recorded", http_client=client, max_retries=0))
    return {"stream": stream.name, **result}


def test_all_7_recordings_have_a_golden() -> None:
    assert_every_recording_has_a_golden("ollama", recorded_streams("ollama_ndjson"), 7)


@pytest.mark.parametrize("stream", STREAMS)
async def test_stream_matches_its_golden(stream: RecordedStream) -> None:
    assert await run(stream) == load_golden("ollama", stream.name)


@pytest.mark.parametrize("stream", STREAMS)
async def test_byte_by_byte_and_random_splits_give_the_same_result(stream: RecordedStream) -> None:
    await assert_splits_do_not_matter(run, stream, longest=400, pieces=40)


def oracle(stream: RecordedStream) -> dict[str, Any]:
    """What the body says, read the simplest way: every line is one JSON object."""
    text, thinking, calls, last = [], [], [], None
    for raw in stream.body.decode("utf-8").splitlines():
        if not raw.strip():
            continue
        obj = json.loads(raw)
        last = obj
        msg = obj.get("message") or {}
        text.append(msg.get("content") or "")
        thinking.append(msg.get("thinking") or "")
        for call in msg.get("tool_calls") or []:
            calls.append((call.get("id"), call["function"]["name"], call["function"]["arguments"]))
    assert last is not None and last["done"] is True
    return {
        "text": "".join(text),
        "thinking": "".join(thinking),
        "calls": calls,
        "done_reason": last.get("done_reason"),
        "usage": (last.get("prompt_eval_count"), last.get("eval_count")),
        "model": last.get("model"),
    }


@pytest.mark.parametrize("stream", STREAMS)
def test_golden_agrees_with_the_body_and_meta(stream: RecordedStream) -> None:
    golden = load_golden("ollama", stream.name)
    assert golden is not None and golden["error"] is None
    facts = oracle(stream)
    done = golden["events"][-1]["done"]
    message = done["message"]
    assert message["text"] == facts["text"]
    reasoning = "".join(r["text"] for r in message.get("reasoning", []))
    assert reasoning == facts["thinking"]
    assert [(c["id"], c["name"], c["arguments"]) for c in message.get("tool_calls", [])] == facts[
        "calls"
    ]
    assert done["raw_finish_reason"] == facts["done_reason"]
    assert [done["raw_finish_reason"]] == stream.meta["finish_reasons"]
    expected = {"stop": "stop", "length": "length"}[facts["done_reason"]]
    if facts["calls"] and expected == "stop":
        expected = "tool_calls"
    assert done["finish_reason"] == expected
    usage = done["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == facts["usage"]
    assert done["model"] == facts["model"]
    if "thinking" in stream.features:
        assert reasoning
    if "tool_calls" in stream.features:
        assert facts["calls"]
    # Every delta is a piece of the body, in order: text and reasoning concatenate back.
    events = golden["events"][:-1]
    assert "".join(e.get("text", "") for e in events) == facts["text"]
