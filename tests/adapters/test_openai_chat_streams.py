"""Every recorded ``openai_chat_sse`` stream through ``OpenAIChatAdapter`` against its golden,
whole, one byte at a time and in random splits; and the encoder against recorded requests."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition
from tests.support.goldens import collect, load_golden, mock_client
from tests.support.streams import RecordedStream, recorded_streams, stream_params


async def run(stream: RecordedStream, sizes: list[int] | None = None) -> dict[str, Any]:
    async with mock_client(stream.body, sizes) as client:
        port = OpenAIChatAdapter("recorded", api_key="k", http_client=client, max_retries=0)
        result = await collect(port)
    return {"stream": stream.name, **result}


def test_every_recorded_stream_has_a_golden() -> None:
    streams = recorded_streams("openai_chat_sse")
    if not streams:
        pytest.skip("../shared/streams is absent")
    assert len(streams) == 53
    missing = [s.name for s in streams if load_golden("openai_chat", s.name) is None]
    assert missing == []


@pytest.mark.parametrize("stream", stream_params("openai_chat_sse"))
async def test_stream_matches_golden(stream: RecordedStream) -> None:
    golden = load_golden("openai_chat", stream.name)
    assert golden is not None, f"no golden for {stream.name}: run python -m tests.golden.derive"
    assert await run(stream) == golden


@pytest.mark.parametrize("stream", stream_params("openai_chat_sse"))
async def test_stream_split_one_byte_at_a_time_and_randomly(stream: RecordedStream) -> None:
    whole = await run(stream)
    assert await run(stream, [1]) == whole
    rng = random.Random(stream.name)
    for _ in range(3):
        sizes = [rng.randint(1, 300) for _ in range(50)]
        assert await run(stream, sizes) == whole


# --- the encoder against the recorded requests ---------------------------------------------------


def to_domain(message: dict[str, Any]) -> AgentMessage:
    """A recorded OpenAI request message in our vocabulary."""
    role = message["role"]
    content = message.get("content")
    if role in ("system", "developer"):
        return SystemMessage(
            content if isinstance(content, str) else "".join(p["text"] for p in content)
        )
    if role == "user":
        if isinstance(content, str):
            return UserMessage(content)
        parts: list[Any] = []
        for part in content:
            if part["type"] == "text":
                parts.append(TextPart(part["text"]))
            else:
                parts.append(ImagePart(url=part["image_url"]["url"]))
        return UserMessage(tuple(parts))
    if role == "assistant":
        calls = tuple(
            ToolCall(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"] or "{}"))
            for c in message.get("tool_calls") or ()
        )
        text = content if isinstance(content, str) else ""
        return AssistantMessage(text=text or "", tool_calls=calls)
    if role == "tool":
        return ToolMessage(
            message["tool_call_id"], content if isinstance(content, str) else json.dumps(content)
        )
    raise AssertionError(role)


def to_tool(tool: dict[str, Any]) -> ToolDefinition:
    function = tool["function"]
    return ToolDefinition(
        function["name"],
        function.get("description", ""),
        function.get("parameters") or {"type": "object", "properties": {}},
        function.get("strict"),
    )


def chat_requests() -> list[Any]:
    out = []
    for stream in recorded_streams("openai_chat_sse"):
        request = stream.request
        if request and "messages" in request:
            out.append(pytest.param(stream, id=stream.name))
    return out or [pytest.param(None, marks=pytest.mark.skip(reason="../shared/streams is absent"))]


@pytest.mark.parametrize("stream", chat_requests())
def test_encoder_rebuilds_the_recorded_request(stream: RecordedStream) -> None:
    recorded = stream.request
    assert recorded is not None
    messages = [to_domain(m) for m in recorded["messages"]]
    tools = [to_tool(t) for t in recorded.get("tools") or () if t.get("type") == "function"]
    choice = recorded.get("tool_choice")
    adapter = OpenAIChatAdapter(
        recorded.get("model", "m"),
        api_key="k",
        tool_choice=choice if isinstance(choice, str) or choice is None else choice,
        parallel_tool_calls=recorded.get("parallel_tool_calls"),
    )
    body = adapter.build_request(messages, tools)
    assert body["stream"] is True
    assert body["model"] == recorded.get("model", "m")
    ours, theirs = body["messages"], recorded["messages"]
    assert [m["role"] for m in ours] == [
        ("system" if m["role"] == "developer" else m["role"]) for m in theirs
    ]
    for mine, recorded_message in zip(ours, theirs, strict=True):
        if recorded_message["role"] == "tool":
            assert mine["tool_call_id"] == recorded_message["tool_call_id"]
            assert mine["content"] == recorded_message["content"]
        if recorded_message.get("tool_calls"):
            assert [c["id"] for c in mine["tool_calls"]] == [
                c["id"] for c in recorded_message["tool_calls"]
            ]
            assert [c["function"]["name"] for c in mine["tool_calls"]] == [
                c["function"]["name"] for c in recorded_message["tool_calls"]
            ]
            for a, b in zip(mine["tool_calls"], recorded_message["tool_calls"], strict=True):
                assert json.loads(a["function"]["arguments"]) == json.loads(
                    b["function"]["arguments"] or "{}"
                )
        if recorded_message["role"] in ("system", "user") and isinstance(
            recorded_message.get("content"), str
        ):
            assert mine["content"] == recorded_message["content"]
    recorded_tools = [t for t in recorded.get("tools") or () if t.get("type") == "function"]
    assert [t["function"]["name"] for t in body.get("tools", [])] == [
        t["function"]["name"] for t in recorded_tools
    ]
    for mine, theirs_tool in zip(body.get("tools", []), recorded_tools, strict=True):
        assert mine["function"]["parameters"] == theirs_tool["function"].get(
            "parameters", mine["function"]["parameters"]
        )
    if recorded_tools and "tool_choice" in recorded:
        assert body["tool_choice"] == recorded["tool_choice"]
    if recorded.get("stream_options", {}).get("include_usage"):
        assert body["stream_options"] == {"include_usage": True}
