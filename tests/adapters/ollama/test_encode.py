"""The Ollama encoder: messages, tools and options under Ollama's names, against the recorded
request bodies of ``../shared/streams/ollama``."""

from __future__ import annotations

from typing import Any

import pytest

from llmport import CallOptions, Reasoning
from llmport.adapters.ollama import OllamaAdapter
from llmport.domain.messages import (
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
from tests.support.options import json_type, recorded_types
from tests.support.streams import RecordedStream, stream_params, streams_available

WEATHER = ToolDefinition("get_weather", "Weather", {"type": "object", "properties": {}})


def adapter(**options: Any) -> OllamaAdapter:
    return OllamaAdapter("qwen3:4b", **options)


@pytest.mark.parametrize("stream", stream_params("ollama_ndjson"))
def test_the_encoder_rebuilds_the_recorded_request(stream: RecordedStream) -> None:
    recorded = stream.request
    assert recorded is not None
    messages = [
        SystemMessage(m["content"]) if m["role"] == "system" else UserMessage(m["content"])
        for m in recorded["messages"]
    ]
    tools = [
        ToolDefinition(
            t["function"]["name"], t["function"]["description"], t["function"]["parameters"]
        )
        for t in recorded.get("tools") or ()
    ]
    runner = recorded.get("options") or {}
    reasoning = "medium" if recorded.get("think") else "none"
    body = adapter(max_tokens=runner.get("num_predict")).request_body(
        messages, tools, CallOptions(reasoning=reasoning)
    )
    think = body.pop("think")
    assert think == ("medium" if recorded["think"] else False)
    assert bool(think) is recorded["think"]
    recorded = {k: v for k, v in recorded.items() if k != "think" and v != {}}
    assert body == recorded


def test_every_message_kind() -> None:
    history = [
        SystemMessage("be brief"),
        UserMessage(
            (
                TextPart("what is "),
                TextPart("this?"),
                ImagePart(data="QUJD", media_type="image/png"),
            )
        ),
        UserMessage((ImagePart(url="data:image/jpeg;base64,WFla"),)),
        AssistantMessage(
            text="",
            tool_calls=(ToolCall("call_1", "get_weather", {"city": "Tokyo"}),),
            reasoning=(
                ReasoningPart("I should look", provider="ollama"),
                ReasoningPart("x", provider="anthropic"),
            ),
        ),
        ToolMessage("call_1", "sunny"),
        ToolMessage("call_9", "?", name="other"),
    ]
    assert adapter().request_body(history)["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "what is this?", "images": ["QUJD"]},
        {"role": "user", "content": "", "images": ["WFla"]},
        {
            "role": "assistant",
            "content": "",
            "thinking": "I should look",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}],
        },
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        {"role": "tool", "content": "?", "tool_name": "other"},
    ]


def test_a_remote_image_url_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Ollama takes images as bytes"):
        adapter().request_body([UserMessage((ImagePart(url="https://x.example/cat.png"),))])


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    ("options", "path", "value"),
    [
        (CallOptions(max_tokens=64), ("options", "num_predict"), 64),
        (CallOptions(temperature=0.2), ("options", "temperature"), 0.2),
        (CallOptions(top_p=0.5), ("options", "top_p"), 0.5),
        (CallOptions(stop="END"), ("options", "stop"), ["END"]),
        (CallOptions(seed=3), ("options", "seed"), 3),
        (CallOptions(reasoning="none"), ("think",), False),
        (CallOptions(reasoning="high"), ("think",), "high"),
        (CallOptions(reasoning="minimal"), ("think",), "low"),
        (CallOptions(response_format=SCHEMA), ("format",), SCHEMA),
        (CallOptions(extra_body={"keep_alive": 0}), ("keep_alive",), 0),
    ],
)
def test_each_option_reaches_the_body_under_ollamas_name(
    options: CallOptions, path: tuple[str, ...], value: Any
) -> None:
    for body in (
        adapter().request_body([UserMessage("hi")], [], options),
        adapter(options=options).request_body([UserMessage("hi")]),
    ):
        found: Any = body
        for key in path:
            found = found[key]
        assert found == value
    if streams_available() and path[0] in ("options", "think"):
        # The recorded requests carry these very names (num_predict, think).
        recorded = recorded_types(("ollama_ndjson",), path[:1])
        assert json_type(body[path[0]]) in recorded or path == ("think",)


def test_per_call_beats_the_default_and_wire_settings_apply() -> None:
    port = adapter(
        temperature=0.1, keep_alive="10m", model_options={"num_ctx": 8192, "temperature": 1}
    )
    body = port.request_body([UserMessage("hi")], [], CallOptions(temperature=0.7))
    assert body["options"] == {"num_ctx": 8192, "temperature": 0.7}
    assert body["keep_alive"] == "10m"
    assert port.request_body([UserMessage("hi")])["options"]["temperature"] == 0.1


def test_tool_choice_none_leaves_the_tools_out_and_auto_keeps_them() -> None:
    assert "tools" not in adapter(tool_choice="none").request_body([UserMessage("hi")], [WEATHER])
    assert adapter(tool_choice="auto").request_body([UserMessage("hi")], [WEATHER])["tools"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("tool_choice", "required"),
        ("tool_choice", "get_weather"),
        ("parallel_tool_calls", False),
        ("reasoning", Reasoning(budget_tokens=100)),
        ("reasoning", Reasoning(effort="low", summary="auto")),
    ],
)
def test_what_ollama_cannot_express_is_a_value_error(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"ollama wire cannot express the option '{option}"):
        adapter().request_body([UserMessage("hi")], [WEATHER], CallOptions(**{option: value}))
    with pytest.raises(ValueError, match="ollama"):
        adapter(**{option: value})
