"""``AnthropicAdapter`` wiring: request shape, headers, key handling, connect, the Agent."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from llmport import Agent, AgentError, connect, tool
from llmport.adapters.anthropic import AnthropicAdapter
from llmport.domain.errors import AuthenticationError
from llmport.domain.events import FinishReason
from llmport.domain.messages import SystemMessage, ToolMessage, UserMessage
from llmport.domain.tools import ToolDefinition
from tests.support.streams import get_stream

from .helpers import TEST_KEY, mock_adapter, served_body, stream_events, text_message


def _sse(frames: list[tuple[str, str]]) -> list[bytes]:
    return [f"event: {e}\ndata: {d}\n\n".encode() for e, d in frames]


async def test_request_url_headers_and_body() -> None:
    seen: list[httpx.Request] = []
    adapter = mock_adapter(
        _sse(text_message("hi")),
        seen=seen,
        thinking=2048,
        max_tokens=8000,
        anthropic_beta=["interleaved-thinking-2025-05-14", "x"],
    )
    tools = [ToolDefinition("f", "does f", {"type": "object", "properties": {}})]
    stream = await adapter.chat_stream([SystemMessage("sys"), UserMessage("hello")], tools)
    async with stream:
        events = [e async for e in stream]
    assert events[-1].message.text == "hi"
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == TEST_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14,x"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    body = json.loads(request.content)
    assert body == {
        "model": "claude-test",
        "max_tokens": 8000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
        "stream": True,
        "system": [{"type": "text", "text": "sys"}],
        "tools": [
            {
                "name": "f",
                "description": "does f",
                "input_schema": {"type": "object", "properties": {}},
            }
        ],
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    assert adapter.request_body([UserMessage("hello")])["stream"] is True


async def test_base_url_argument_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy.local:8080/")
    assert AnthropicAdapter("m", api_key="k").url == "http://proxy.local:8080/v1/messages"
    adapter = AnthropicAdapter("m", api_key="k", base_url="https://gw.example/anthropic")
    assert adapter.url == "https://gw.example/anthropic/v1/messages"


def test_key_from_the_environment_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    adapter = AnthropicAdapter("m")
    assert TEST_KEY not in repr(adapter)
    assert TEST_KEY not in repr(vars(adapter))
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY") as info:
        AnthropicAdapter("m")
    assert info.value.provider == "anthropic"


def test_the_key_is_not_pickled() -> None:
    adapter = AnthropicAdapter("m", api_key=TEST_KEY)
    try:
        data = pickle.dumps(adapter)
    except Exception:  # refusing to pickle a secret is fine too
        return
    assert TEST_KEY.encode() not in data


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "http"),
        ("https://user:pw@x.example", "credentials"),
        ("https://x.example?key=1", "query"),
    ],
)
def test_bad_base_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AnthropicAdapter("m", api_key="k", base_url=url)


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="below max_tokens"):
        AnthropicAdapter("m", api_key="k", max_tokens=1000, thinking=1000)
    with pytest.raises(ValueError, match="model"):
        AnthropicAdapter("", api_key="k")


def test_connect_builds_the_adapter() -> None:
    port = connect("anthropic:claude-sonnet-4-5", api_key="k", max_tokens=100)
    assert isinstance(port, AnthropicAdapter)
    assert port.model == "claude-sonnet-4-5"
    assert port.options.max_tokens == 100


async def test_next_turn_after_a_streamed_thinking_tool_turn_goes_back_unchanged() -> None:
    stream = get_stream("anthropic/thinking-then-tool-use")
    seen: list[httpx.Request] = []
    adapter = mock_adapter(
        [served_body(stream)], _sse(text_message("It is sunny.")), seen=seen, thinking=4000
    )
    first = (await stream_events(adapter))[-1]
    (call,) = first.message.tool_calls
    history = [UserMessage("hi"), first.message, ToolMessage(call.id, "sunny")]
    second = await adapter.chat_stream(history, [])
    async with second:
        _ = [e async for e in second]
    body = json.loads(seen[1].content)
    assistant = body["messages"][1]["content"]
    signature = json.loads(stream.body.split(b'"signature_delta","signature":')[1].split(b"}")[0])
    assert assistant[0] == {
        "type": "thinking",
        "thinking": first.message.reasoning[0].text,
        "signature": signature,
    }
    assert assistant[1] == {
        "type": "tool_use",
        "id": call.id,
        "name": "weather",
        "input": {"location": "Florence, Italy"},
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}],
    }


async def test_the_agent_never_runs_a_tool_call_cut_by_max_tokens() -> None:
    ran: list[dict[str, object]] = []

    @tool
    def make_file(filename: str, lines_of_text: list[str]) -> str:
        """Write a file."""
        ran.append({"filename": filename})
        return "ok"

    stream = get_stream("anthropic/max-tokens-mid-tool-json")
    adapter = mock_adapter([served_body(stream)])
    agent = Agent(adapter, tools=[make_file], max_turns=3)
    with pytest.raises(AgentError.IncompleteToolCalls) as info:
        await agent.run("Write my tax guide to taxes.txt")
    assert ran == []
    assert info.value.finish_reason is FinishReason.LENGTH
    (call,) = info.value.calls
    assert (call.name, call.complete) == ("make_file", False)
