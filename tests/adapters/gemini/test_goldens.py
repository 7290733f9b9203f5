"""Every recorded Gemini stream (SSE and JSON array) through ``GeminiAdapter``: against its
golden, whole, one byte at a time and in random splits, and against an independent oracle (a
plain reading of each chunk and ``meta.json``, written apart from the decoder)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport.adapters.gemini import GeminiAdapter
from tests.support.goldens import (
    assert_every_recording_has_a_golden,
    assert_splits_do_not_matter,
    collect,
    load_golden,
    mock_client,
)
from tests.support.streams import RecordedStream, recorded_streams, stream_params

STREAMS = stream_params("gemini_sse") + stream_params("gemini_json_array")


async def run(stream: RecordedStream, sizes: list[int] | None = None) -> dict[str, Any]:
    content_type = stream.meta.get("content_type") or "text/event-stream"
    async with mock_client(stream.body, sizes, content_type=content_type) as client:
        result = await collect(GeminiAdapter("recorded", api_key="k", http_client=client,
                                             max_retries=0))  # fmt: skip
    return {"stream": stream.name, **result}


def test_all_17_recordings_have_a_golden() -> None:
    assert_every_recording_has_a_golden(
        "gemini", recorded_streams("gemini_sse") + recorded_streams("gemini_json_array"), 17
    )


@pytest.mark.parametrize("stream", STREAMS)
async def test_stream_matches_its_golden(stream: RecordedStream) -> None:
    assert await run(stream) == load_golden("gemini", stream.name)


@pytest.mark.parametrize("stream", STREAMS)
async def test_byte_by_byte_and_random_splits_give_the_same_result(stream: RecordedStream) -> None:
    await assert_splits_do_not_matter(run, stream, longest=700, pieces=30)


def chunks(stream: RecordedStream) -> list[dict[str, Any]]:
    """The body's chunks, read the simplest way: SSE ``data:`` lines, or the whole JSON array."""
    text = stream.body.decode("utf-8")
    if stream.wire_format == "gemini_json_array":
        return list(json.loads(text))
    return [json.loads(line[5:]) for line in text.replace("\r", "").split("\n")
            if line.startswith("data:")]  # fmt: skip


@pytest.mark.parametrize("stream", STREAMS)
def test_golden_agrees_with_the_body_and_meta(stream: RecordedStream) -> None:
    golden = load_golden("gemini", stream.name)
    assert golden is not None and golden["error"] is None
    body = chunks(stream)
    parts = [p for c in body for p in c["candidates"][0].get("content", {}).get("parts", [])]
    text = "".join(p.get("text", "") for p in parts if "text" in p and not p.get("thought"))
    thoughts = "".join(p["text"] for p in parts if p.get("thought"))
    calls = [p["functionCall"] for p in parts if "functionCall" in p]
    signatures = [p["thoughtSignature"] for p in parts if "thoughtSignature" in p]
    finishes = [c["candidates"][0]["finishReason"] for c in body
                if c["candidates"][0].get("finishReason")]  # fmt: skip
    usage = body[-1]["usageMetadata"]
    done = golden["events"][-1]["done"]
    message = done["message"]
    assert message["text"] == text
    assert "".join(r["text"] for r in message.get("reasoning", [])) == thoughts
    assert [(c["name"], c["arguments"]) for c in message.get("tool_calls", [])] == [
        (c["name"], c.get("args", {})) for c in calls
    ]
    for call, raw in zip(message.get("tool_calls", []), calls, strict=True):
        if "id" in raw:
            assert call["id"] == raw["id"]
    layout_signatures = [p["thoughtSignature"] for p in message["layout"]["parts"]
                         if "thoughtSignature" in p]  # fmt: skip
    assert layout_signatures == signatures  # every signature kept, in order, on its part
    assert done["raw_finish_reason"] == finishes[-1] == stream.meta["finish_reasons"][-1]
    assert done["finish_reason"] == {"STOP": "tool_calls" if calls else "stop",
                                     "MAX_TOKENS": "length"}[finishes[-1]]  # fmt: skip
    thoughts_count = usage.get("thoughtsTokenCount", 0)
    assert done["usage"]["output_tokens"] == usage.get("candidatesTokenCount", 0) + thoughts_count
    assert done["usage"]["reasoning_tokens"] == thoughts_count
    assert done["usage"]["input_tokens"] == usage["promptTokenCount"] + usage.get(
        "toolUsePromptTokenCount", 0
    )
