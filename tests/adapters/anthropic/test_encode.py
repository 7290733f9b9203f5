"""The Anthropic request encoder: against the recorded request bodies, and rule by rule."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from llmport.adapters.anthropic.decode import INCOMPLETE_KEY
from llmport.adapters.anthropic.encode import (
    AnthropicSettings,
    encode_request,
    encode_tool_choice,
)
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition
from tests.support.streams import RecordedStream, recorded_streams, stream_params

from .helpers import through_guard

# --- against the recorded bodies ----------------------------------------------------------------

_MODELLED = {
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "max_tokens",
    "thinking",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "stream",
}


def _conversation(recorded: list[dict[str, Any]]) -> list[AgentMessage]:
    """The llmport messages a caller holds for a recorded ``messages`` array."""
    out: list[AgentMessage] = []
    for turn in recorded:
        content = turn["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if turn["role"] == "user":
            texts = []
            for block in blocks:
                if block["type"] == "tool_result":
                    out.append(
                        ToolMessage(
                            block["tool_use_id"], block["content"], bool(block.get("is_error"))
                        )
                    )
                else:
                    assert block["type"] == "text", block["type"]
                    texts.append(TextPart(block["text"]))
            if texts:
                out.append(UserMessage(tuple(texts)))
        else:
            text = "".join(b["text"] for b in blocks if b["type"] == "text")
            calls = tuple(
                ToolCall(b["id"], b["name"], b["input"]) for b in blocks if b["type"] == "tool_use"
            )
            out.append(AssistantMessage(text=text, tool_calls=calls))
    return out


def _inputs(request: dict[str, Any]) -> tuple[list[AgentMessage], list[ToolDefinition], Any]:
    system = request.get("system")
    messages: list[AgentMessage] = []
    if isinstance(system, str):
        messages.append(SystemMessage(system))
    elif system:
        messages.extend(SystemMessage(b["text"]) for b in system)
    messages += _conversation(request["messages"])
    tools, extra_tools = [], []
    for tool in request.get("tools", []):
        if set(tool) <= {"name", "description", "input_schema"}:
            tools.append(ToolDefinition(tool["name"], tool["description"], tool["input_schema"]))
        else:
            extra_tools.append(tool)
    settings = AnthropicSettings(
        max_tokens=request["max_tokens"],
        thinking=request.get("thinking"),
        temperature=request.get("temperature"),
        top_p=request.get("top_p"),
        top_k=request.get("top_k"),
        stop_sequences=request.get("stop_sequences", ()),
        tool_choice=request.get("tool_choice"),
        metadata=request.get("metadata"),
        extra_tools=extra_tools,
        extra_body={k: v for k, v in request.items() if k not in _MODELLED},
    )
    return messages, tools, settings


def _normal(body: dict[str, Any]) -> dict[str, Any]:
    """Equivalent spellings made equal: string content is one text block, an empty tool
    description is no description, a string system prompt is one block."""
    body = json.loads(json.dumps(body))
    for turn in body["messages"]:
        if isinstance(turn["content"], str):
            turn["content"] = [{"type": "text", "text": turn["content"]}]
    if isinstance(body.get("system"), str):
        body["system"] = [{"type": "text", "text": body["system"]}]
    for tool in body.get("tools", []):
        if tool.get("description") == "":
            del tool["description"]
    return body


_WITH_REQUEST = [p for p in stream_params("anthropic_messages_sse")]


@pytest.mark.parametrize("stream", _WITH_REQUEST)
def test_encoder_reproduces_the_recorded_request(stream: RecordedStream) -> None:
    request = stream.request
    if request is None:
        pytest.skip(f"{stream.name} has no recorded request (SDK fixture)")
    messages, tools, settings = _inputs(request)
    body = encode_request(request.get("model", "vertex-model"), messages, tools, settings)
    if "model" not in request:  # Vertex puts the model in the URL
        del body["model"]
    assert _normal(body) == _normal(request)


def test_the_recorded_requests_cover_the_shapes_that_matter() -> None:
    requests = [s.request for s in recorded_streams("anthropic_messages_sse") if s.request]
    if not requests:
        pytest.skip("the recorded streams are absent")
    seen = {
        block["type"]
        for r in requests
        for turn in r["messages"]
        if isinstance(turn["content"], list)
        for block in turn["content"]
    }
    assert {"text", "tool_use", "tool_result"} <= seen
    assert any("system" in r for r in requests)
    assert any(any(t["role"] == "assistant" for t in r["messages"]) for r in requests)


# --- the reasoning of a turn round-trips --------------------------------------------------------


def _sse_frames(body: bytes) -> list[tuple[str, str]]:
    # Independent of the adapter's own framing: enough for these well-formed recordings.
    frames = []
    for chunk in body.decode().split("\n\n"):
        event = re.search(r"^event: ?(.*)$", chunk, re.M)
        data = re.search(r"^data: ?(.*)$", chunk, re.M)
        if data:
            frames.append((event.group(1) if event else "", data.group(1)))
    return frames


@pytest.mark.parametrize(
    "name", ["anthropic/thinking-signature", "anthropic/thinking-then-tool-use"]
)
async def test_a_streamed_thinking_turn_encodes_back_with_its_signature(name: str) -> None:
    from tests.support.streams import get_stream

    stream = get_stream(name)
    signatures = re.findall(rb'"signature_delta","signature":"([^"]+)"', stream.body)
    assert len(signatures) == 1
    _, done = await through_guard(_sse_frames(stream.body))
    history: list[AgentMessage] = [UserMessage("question"), done.message]
    for call in done.message.tool_calls:
        history.append(ToolMessage(call.id, "sunny, 24C"))
    if done.message.tool_calls:
        history.append(UserMessage("thanks"))
    body = encode_request("claude-sonnet-4-0", history, settings=AnthropicSettings(thinking=1024))
    assistant = body["messages"][1]
    assert assistant["role"] == "assistant"
    first = assistant["content"][0]
    assert first["type"] == "thinking"
    assert first["signature"] == signatures[0].decode()
    thinking_text = "".join(
        json.loads(f'"{t.decode()}"')
        for t in re.findall(rb'"thinking_delta","thinking":"((?:[^"\\]|\\.)*)"', stream.body)
    )
    assert first["thinking"] == thinking_text
    kinds = [b["type"] for b in assistant["content"]]
    if done.message.tool_calls:
        assert kinds == ["thinking", "tool_use"]
        results = body["messages"][2]
        assert results["role"] == "user"
        assert [b["type"] for b in results["content"]] == ["tool_result", "text"]
        assert results["content"][0]["tool_use_id"] == assistant["content"][1]["id"]
    else:
        assert kinds == ["thinking", "text"]


async def test_redacted_thinking_encodes_back_with_its_data() -> None:
    from tests.support.streams import get_stream

    stream = get_stream("anthropic/redacted-thinking")
    data = [
        d.decode() for d in re.findall(rb'"type":"redacted_thinking","data":"([^"]+)"', stream.body)
    ]
    assert len(data) == 2
    _, done = await through_guard(_sse_frames(stream.body))
    body = encode_request("m", [UserMessage("q"), done.message, UserMessage("and?")])
    blocks = body["messages"][1]["content"]
    assert [b["type"] for b in blocks] == ["redacted_thinking", "redacted_thinking", "text"]
    assert [b["data"] for b in blocks[:2]] == data


# --- rules ---------------------------------------------------------------------------------------


def test_system_messages_become_top_level_blocks_in_order() -> None:
    body = encode_request(
        "m", [SystemMessage("Be brief."), UserMessage("hi"), SystemMessage("Use French.")]
    )
    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Use French."},
    ]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert (body["stream"], body["max_tokens"], body["model"]) == (True, 4096, "m")


def test_tool_results_merge_into_one_user_turn_before_any_text() -> None:
    calls = (ToolCall("t1", "f", {"x": 1}), ToolCall("t2", "g", {}))
    body = encode_request(
        "m",
        [
            UserMessage("go"),
            AssistantMessage(text="Calling.", tool_calls=calls),
            ToolMessage("t1", "ok"),
            ToolMessage("t2", "boom", is_error=True),
            UserMessage("now summarise"),
        ],
    )
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "go"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Calling."},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}},
                {"type": "tool_use", "id": "t2", "name": "g", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                {"type": "tool_result", "tool_use_id": "t2", "content": "boom", "is_error": True},
                {"type": "text", "text": "now summarise"},
            ],
        },
    ]


def test_a_tool_result_after_user_text_still_goes_first() -> None:
    body = encode_request(
        "m",
        [
            AssistantMessage(tool_calls=(ToolCall("t1", "f", {}),)),
            UserMessage("by the way"),
            ToolMessage("t1", "ok"),
        ],
    )
    assert [b["type"] for b in body["messages"][1]["content"]] == ["tool_result", "text"]


def test_consecutive_user_and_assistant_messages_are_merged() -> None:
    body = encode_request(
        "m",
        [UserMessage("a"), UserMessage("b"), AssistantMessage("c"), AssistantMessage("d")],
    )
    assert [(t["role"], len(t["content"])) for t in body["messages"]] == [
        ("user", 2),
        ("assistant", 2),
    ]


def test_empty_messages_and_text_are_left_out() -> None:
    body = encode_request(
        "m", [SystemMessage(""), UserMessage(""), UserMessage("x"), AssistantMessage("")]
    )
    assert "system" not in body
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "x"}]}]


def test_images_base64_data_url_and_https_url() -> None:
    body = encode_request(
        "m",
        [
            UserMessage(
                (
                    TextPart("what is this?"),
                    ImagePart(data="iVBORw0K", media_type="image/png"),
                    ImagePart(url="data:image/jpeg;base64,/9j/4AAQ"),
                    ImagePart(url="https://example.com/cat.png"),
                )
            )
        ],
    )
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "what is this?"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
        },
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
    ]


def test_a_malformed_data_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="data: URL"):
        encode_request("m", [UserMessage((ImagePart(url="data:image/png,raw"),))])


def test_assistant_block_order_and_which_reasoning_goes_back() -> None:
    message = AssistantMessage(
        text="Answer.",
        tool_calls=(ToolCall("toolu_1", "f", {"q": "é"}),),
        reasoning=(
            ReasoningPart("thought", signature="SIG1", provider="anthropic"),
            ReasoningPart(encrypted="REDACTED", provider="anthropic"),
            ReasoningPart("unsigned: the stream was cut", provider="anthropic"),
            ReasoningPart("another vendor's", signature="gsig", provider="gemini"),
            ReasoningPart("encrypted elsewhere", encrypted="enc", provider="openai-responses"),
        ),
        provider_blocks=(
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"query": "q"},
            },
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "citations", "index": 3, "text": "Answer.", "citations": []},
            {
                "type": "server_tool_use",
                "id": "srvtoolu_2",
                "name": "web_search",
                "input": {},
                INCOMPLETE_KEY: True,
            },
            {"type": "web_search_call", "id": "ws_1"},  # an OpenAI Responses item
            {"executableCode": {"code": "1+1"}},  # a Gemini part
        ),
    )
    (turn,) = encode_request("m", [message])["messages"]
    assert turn["content"] == [
        {"type": "thinking", "thinking": "thought", "signature": "SIG1"},
        {"type": "redacted_thinking", "data": "REDACTED"},
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "q"},
        },
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
        {"type": "text", "text": "Answer."},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"q": "é"}},
    ]


def test_an_incomplete_tool_call_is_sent_back_with_empty_input() -> None:
    cut = ToolCall("toolu_1", "make_file", {}, raw_arguments='{"file', complete=False)
    (turn,) = encode_request("m", [AssistantMessage(tool_calls=(cut,))])["messages"]
    assert turn["content"] == [
        {"type": "tool_use", "id": "toolu_1", "name": "make_file", "input": {}}
    ]


def test_tools_and_settings() -> None:
    tool = ToolDefinition(
        "weather", "Get the weather", {"type": "object", "properties": {"city": {"type": "string"}}}
    )
    settings = AnthropicSettings(
        max_tokens=2000,
        thinking=1024,
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        stop_sequences=["```"],
        tool_choice="weather",
        parallel_tool_calls=False,
        metadata={"user_id": "u1"},
        extra_tools=[{"type": "web_search_20250305", "name": "web_search"}],
        extra_body={"mcp_servers": [{"type": "url"}], "temperature": 0.1},
    )
    body = encode_request("claude", [UserMessage("hi")], [tool], settings)
    assert body["tools"] == [
        {
            "name": "weather",
            "description": "Get the weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        {"type": "web_search_20250305", "name": "web_search"},
    ]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": "weather",
        "disable_parallel_tool_use": True,
    }
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == 2000
    assert (body["top_p"], body["top_k"]) == (0.9, 40)
    assert body["stop_sequences"] == ["```"]
    assert body["metadata"] == {"user_id": "u1"}
    assert body["mcp_servers"] == [{"type": "url"}]
    assert body["temperature"] == 0.1  # extra_body is merged last


def test_no_tools_no_tool_fields() -> None:
    body = encode_request("m", [UserMessage("hi")])
    assert set(body) == {"model", "max_tokens", "messages", "stream"}


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("any", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ("lookup", None, {"type": "tool", "name": "lookup"}),
        ({"type": "any", "x": 1}, None, {"type": "any", "x": 1}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        ("any", True, {"type": "any"}),
    ],
)
def test_tool_choice(choice: Any, parallel: bool | None, expected: Any) -> None:
    assert encode_tool_choice(choice, parallel) == expected


def test_adaptive_and_raw_thinking() -> None:
    assert AnthropicSettings(thinking="adaptive").thinking_object() == {"type": "adaptive"}
    raw = {"type": "enabled", "budget_tokens": 2000, "display": "summarized"}
    assert AnthropicSettings(thinking=raw).thinking_object() == raw


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"thinking": 4096}, "below max_tokens"),
        ({"thinking": 0}, "positive"),
        ({"thinking": True}, "thinking must be"),
        ({"thinking": "sometimes"}, "thinking must be"),
        ({"stop_sequences": "END"}, "sequence of strings"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AnthropicSettings(**kwargs)


# --- turns with server-side blocks go back block for block --------------------------------------


def _recorded_blocks(body: bytes) -> list[dict[str, Any]]:
    """The content blocks of a recorded message, assembled the plain way (for comparison)."""
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for _, data in _sse_frames(body):
        obj = json.loads(data)
        if obj["type"] == "content_block_start":
            blocks[obj["index"]] = dict(obj["content_block"])
        elif obj["type"] == "content_block_delta":
            block, delta = blocks[obj["index"]], obj["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "citations_delta":
                block.setdefault("citations", []).append(delta["citation"])
            elif delta["type"] == "compaction_delta":
                block["content"] = (block["content"] or "") + delta["content"]
            elif delta["type"] == "input_json_delta":
                partial[obj["index"]] = partial.get(obj["index"], "") + delta["partial_json"]
    for index, raw in partial.items():
        blocks[index]["input"] = json.loads(raw) if raw else {}
    return [blocks[i] for i in sorted(blocks)]


@pytest.mark.parametrize(
    "name",
    [
        "anthropic/pause-turn-web-search",
        "anthropic/web-search-thinking-citations",
        "anthropic/code-execution-tool",
        "anthropic/mcp-servers",
        "anthropic/tool-search-tool",
        "anthropic/web-fetch-tool",
        "anthropic/compaction-block",
    ],
)
async def test_a_turn_with_server_blocks_goes_back_exactly_as_it_came(name: str) -> None:
    from tests.support.streams import get_stream

    stream = get_stream(name)
    _, done = await through_guard(_sse_frames(stream.body))
    (turn,) = encode_request("m", [done.message])["messages"]
    expected = []
    for recorded in _recorded_blocks(stream.body):
        block = recorded
        if block["type"] == "text":
            block = {k: v for k, v in block.items() if k in ("type", "text", "citations")}
            if not block.get("citations"):
                block.pop("citations", None)
            if not block["text"]:
                continue
        if block["type"] == "tool_use":
            # A ToolCall keeps id, name and arguments; a tool_use block's "caller" (how the call
            # was made: directly, or from server-side code execution) is not kept.
            block = {k: v for k, v in block.items() if k != "caller"}
        expected.append(block)
    assert turn["content"] == expected
    if name == "anthropic/pause-turn-web-search":
        assert turn["content"][-1]["type"] == "server_tool_use"  # the pending call, last


async def test_an_edited_turn_falls_back_to_the_grouped_order() -> None:
    from dataclasses import replace

    from tests.support.streams import get_stream

    stream = get_stream("anthropic/pause-turn-web-search")
    _, done = await through_guard(_sse_frames(stream.body))
    edited = replace(done.message, text="A shorter answer.")
    (turn,) = encode_request("m", [edited])["messages"]
    kinds = [b["type"] for b in turn["content"]]
    assert kinds[0] == "thinking"
    assert kinds[-1] == "text" and turn["content"][-1]["text"] == "A shorter answer."
    assert kinds.count("server_tool_use") == 11
    assert "content_order" not in kinds and "citations" not in kinds
