"""The OpenAI Chat goldens checked by an independent oracle: each recorded body read the plainest
way (every ``data:`` line one JSON chunk, choice 0 only), written apart from
``openai_compat``'s decoder, so a golden that merely repeats the decoder's mistake fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.goldens import load_golden
from tests.support.streams import RecordedStream, stream_params

STREAMS = stream_params("openai_chat_sse")


def oracle(stream: RecordedStream) -> dict[str, Any]:
    text: list[str] = []
    finish: str | None = None
    usage: dict[str, Any] | None = None
    names: dict[int, str] = {}
    error = False
    done_marker = False
    for line in stream.body.decode("utf-8", "replace").splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            done_marker = True
            continue
        try:
            chunk = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk:
            error = True
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
        groq = chunk.get("x_groq")
        if isinstance(groq, dict) and isinstance(groq.get("usage"), dict):
            usage = groq["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                text.append(content)
            elif isinstance(content, list):
                text.extend(p.get("text", "") for p in content if p.get("type") == "text")
            if isinstance(delta.get("refusal"), str):
                text.append(delta["refusal"])
            for call in delta.get("tool_calls") or []:
                name = (call.get("function") or {}).get("name")
                if name and call.get("index", 0) not in names:
                    names[call.get("index", 0)] = name
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    return {"text": "".join(text), "finish": finish, "usage": usage, "names": names,
            "error": error, "done_marker": done_marker}  # fmt: skip


@pytest.mark.parametrize("stream", STREAMS)
def test_golden_agrees_with_the_body(stream: RecordedStream) -> None:
    golden = load_golden("openai_chat", stream.name)
    assert golden is not None
    facts = oracle(stream)
    if facts["error"]:
        assert golden["error"] is not None, "an error chunk in the body must end in an error"
        return
    if golden["error"] is not None:  # a truncated recording: no end marker, no finish
        assert not facts["done_marker"] or facts["finish"] is None
        return
    done = golden["events"][-1]["done"]
    message = done["message"]
    assert message["text"] == facts["text"]
    assert done["raw_finish_reason"] == facts["finish"]
    if facts["finish"] is not None:
        assert facts["finish"] in stream.meta["finish_reasons"]
    assert [c["name"] for c in message.get("tool_calls", [])] == [
        facts["names"][i] for i in sorted(facts["names"])
    ]
    usage = facts["usage"]
    if usage is not None and isinstance(usage.get("prompt_tokens"), int):
        assert done["usage"]["input_tokens"] == usage["prompt_tokens"]
        assert done["usage"]["output_tokens"] == usage["completion_tokens"]
