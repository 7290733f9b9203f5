"""Every recorded Responses stream through ``OpenAIResponsesAdapter``: against its golden, whole,
one byte at a time and in random splits, and against an independent oracle (a plain reading of
the body's final items and ``meta.json``, written apart from the decoder), so a wrong golden
cannot hide."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport.adapters.openai_responses import OpenAIResponsesAdapter
from tests.support.goldens import (
    assert_every_recording_has_a_golden,
    assert_splits_do_not_matter,
    collect,
    load_golden,
    mock_client,
)
from tests.support.streams import RecordedStream, recorded_streams, stream_params

STREAMS = stream_params("openai_responses_sse")


async def run(stream: RecordedStream, sizes: list[int] | None = None) -> dict[str, Any]:
    async with mock_client(stream.body, sizes) as client:
        port = OpenAIResponsesAdapter("recorded", api_key="k", http_client=client, max_retries=0)
        result = await collect(port)
    return {"stream": stream.name, **result}


def test_all_20_recordings_have_a_golden() -> None:
    assert_every_recording_has_a_golden(
        "openai_responses", recorded_streams("openai_responses_sse"), 20
    )


@pytest.mark.parametrize("stream", STREAMS)
async def test_stream_matches_its_golden(stream: RecordedStream) -> None:
    assert await run(stream) == load_golden("openai_responses", stream.name)


@pytest.mark.parametrize("stream", STREAMS)
async def test_byte_by_byte_and_random_splits_give_the_same_result(stream: RecordedStream) -> None:
    await assert_splits_do_not_matter(run, stream, longest=500, pieces=40)


def oracle(stream: RecordedStream) -> dict[str, Any]:
    """The body read the simplest way: every ``data:`` line is one JSON event; the final items
    (``output_item.done``) and the terminal response say what the turn was."""
    items: dict[int, dict[str, Any]] = {}
    final: dict[str, Any] | None = None
    for line in stream.body.decode("utf-8").splitlines():
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        event = json.loads(line[5:])
        if event["type"] == "response.output_item.done":
            items[event["output_index"]] = event["item"]
        elif event["type"] in ("response.completed", "response.incomplete"):
            final = event["response"]
    assert final is not None
    ordered = [items[i] for i in sorted(items)]
    text = "".join(
        part.get("text", "") + part.get("refusal", "")
        for item in ordered
        if item["type"] == "message"
        for part in item.get("content") or []
    )
    calls = [
        (item["call_id"], item["name"], item["arguments"])
        for item in ordered
        if item["type"] == "function_call"
    ]
    reasoning = [
        (item.get("id"), item.get("encrypted_content"))
        for item in ordered
        if item["type"] == "reasoning"
    ]
    builtin = [item["type"] for item in ordered if item["type"] not in
               ("message", "function_call", "reasoning")]  # fmt: skip
    return {"text": text, "calls": calls, "reasoning": reasoning, "builtin": builtin,
            "status": final["status"], "incomplete": final.get("incomplete_details"),
            "usage": final.get("usage"), "id": final.get("id")}  # fmt: skip


@pytest.mark.parametrize("stream", STREAMS)
def test_golden_agrees_with_the_body_and_meta(stream: RecordedStream) -> None:
    golden = load_golden("openai_responses", stream.name)
    assert golden is not None and golden["error"] is None
    facts = oracle(stream)
    done = golden["events"][-1]["done"]
    message = done["message"]
    assert message["text"] == facts["text"]
    calls = [(c["id"], c["name"]) for c in message.get("tool_calls", [])]
    assert calls == [(call_id, name) for call_id, name, _ in facts["calls"]]
    for call, (_, _, arguments) in zip(message.get("tool_calls", []), facts["calls"], strict=True):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            assert call["arguments"] == parsed
        else:  # cut by the token limit: kept raw, never executed
            assert call["complete"] is False and call["raw_arguments"] == arguments
    assert [(r.get("id"), r.get("encrypted")) for r in message.get("reasoning", [])] == facts[
        "reasoning"
    ]
    assert [b["type"] for b in message.get("provider_blocks", [])] == facts["builtin"]
    if facts["status"] == "incomplete":
        reason = facts["incomplete"]["reason"]
        assert done["raw_finish_reason"] == reason
        assert stream.meta["finish_reasons"] == [f"incomplete:{reason}"]
        assert done["finish_reason"] == "length"
    else:
        assert stream.meta["finish_reasons"] == ["completed"]
        wanted = "tool_calls" if facts["calls"] else ("refusal" if "refusal" in
                                                       stream.features else "stop")  # fmt: skip
        assert done["finish_reason"] == wanted
    usage = facts["usage"]
    assert done["usage"]["input_tokens"] == usage["input_tokens"]
    assert done["usage"]["output_tokens"] == usage["output_tokens"]
    assert done["usage"]["reasoning_tokens"] == usage["output_tokens_details"]["reasoning_tokens"]
    assert done["response_id"] == facts["id"]
