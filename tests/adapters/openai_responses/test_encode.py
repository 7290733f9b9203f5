"""The Responses encoder: against the recorded request bodies, the round trip of a reasoning +
function-call turn, and ``CallOptions`` under the Responses names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport import CallOptions, Reasoning
from llmport.adapters.openai_responses import OpenAIResponsesAdapter
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
from tests.support.goldens import mock_client
from tests.support.streams import RecordedStream, get_stream, stream_params


def adapter(**options: Any) -> OpenAIResponsesAdapter:
    return OpenAIResponsesAdapter("gpt-5", api_key="k", **options)


def text_of(content: Any) -> str:
    return content if isinstance(content, str) else "".join(p["text"] for p in content)


def to_domain(items: list[dict[str, Any]]) -> list[AgentMessage]:
    out: list[AgentMessage] = []
    for item in items:
        kind, role = item.get("type", "message"), item.get("role")
        if kind == "message" and role in ("system", "developer"):
            out.append(SystemMessage(text_of(item["content"])))
        elif kind == "message" and role == "user":
            out.append(UserMessage(text_of(item["content"])))
        elif kind == "function_call":
            data = {"item_id": item["id"]} if "id" in item else {}
            arguments = json.loads(item["arguments"])
            call = ToolCall(item["call_id"], item["name"], arguments, provider_data=data)
            out.append(AssistantMessage(tool_calls=(call,)))
        elif kind == "function_call_output":
            out.append(ToolMessage(item["call_id"], item["output"]))
    return out


def canonical(body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """Instructions and items, whatever the spelling: system items count as instructions, a
    message's content as its text, and ``type: message`` is implied by a role."""
    system = [body["instructions"]] if body.get("instructions") else []
    items = []
    for item in body["input"]:
        if item.get("role") in ("system", "developer"):
            system.append(text_of(item["content"]))
        elif "role" in item:
            items.append({"role": item["role"], "content": text_of(item["content"])})
        else:
            items.append(item)
    return ("\n\n".join(system) or None), items


def with_requests() -> list[Any]:
    params = stream_params("openai_responses_sse")
    return [
        p
        for p in params
        if p.values[0] is None
        or (p.values[0].request and isinstance(p.values[0].request.get("input"), list))
    ]


@pytest.mark.parametrize("stream", with_requests())
def test_the_encoder_rebuilds_the_recorded_request(stream: RecordedStream) -> None:
    recorded = stream.request
    assert recorded is not None
    messages = to_domain(recorded["input"])
    if recorded.get("instructions"):
        messages.insert(0, SystemMessage(recorded["instructions"]))
    tools = [
        ToolDefinition(t["name"], t.get("description", ""), t["parameters"], t.get("strict"))
        for t in recorded.get("tools") or ()
        if t["type"] == "function"
    ]
    body = adapter().request_body(messages, tools)
    assert body["stream"] is True and body["store"] is False
    assert body["include"][0] == "reasoning.encrypted_content"
    assert canonical(body) == canonical(recorded)
    recorded_tools = [t for t in recorded.get("tools") or () if t["type"] == "function"]
    assert [(t["name"], t["parameters"]) for t in body.get("tools", [])] == [
        (t["name"], t["parameters"]) for t in recorded_tools
    ]


async def test_a_reasoning_and_function_call_turn_goes_back_with_its_opaque_data() -> None:
    stream = get_stream("openai/responses-reasoning-tool-call-usage")
    async with mock_client(stream.body) as client:
        port = OpenAIResponsesAdapter("gpt-5", api_key="k", http_client=client)
        events = [e async for e in await port.chat_stream([UserMessage("go")], [])]
    done = events[-1]
    turn = done.message
    (reasoning,) = turn.reasoning
    (call,) = turn.tool_calls
    history = [UserMessage("go"), turn, ToolMessage(call.id, "6666 it is")]
    body = adapter().request_body(history)
    items = body["input"]
    assert items[1] == {"type": "reasoning", "id": reasoning.id,
                        "encrypted_content": reasoning.encrypted, "summary": []}  # fmt: skip
    assert reasoning.encrypted and reasoning.encrypted.startswith("gAAAA")
    item_id = call.provider_data["item_id"]
    assert items[2] == {"type": "function_call", "call_id": call.id, "name": "final_result",
                        "arguments": '{"result":6666}', "id": item_id}  # fmt: skip
    assert items[3] == {"type": "function_call_output", "call_id": call.id, "output": "6666 it is"}


def test_another_providers_reasoning_and_images_and_system() -> None:
    history = [
        SystemMessage("be brief"),
        UserMessage((TextPart("what is this?"), ImagePart(data="QUJD", media_type="image/png"))),
        AssistantMessage(
            "yes", reasoning=(ReasoningPart("x", signature="sig", provider="anthropic"),)
        ),
    ]
    body = adapter().request_body(history)
    assert body["instructions"] == "be brief"
    assert body["input"] == [
        {"role": "user", "content": [
            {"type": "input_text", "text": "what is this?"},
            {"type": "input_image", "image_url": "data:image/png;base64,QUJD"}]},
        {"role": "assistant", "content": "yes"},
    ]  # fmt: skip


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "title": "Answer"}
TOOL = ToolDefinition("lookup", "Look up", {"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("options", "path", "value"),
    [
        (CallOptions(max_tokens=64), ("max_output_tokens",), 64),
        (CallOptions(temperature=0.2), ("temperature",), 0.2),
        (CallOptions(top_p=0.5), ("top_p",), 0.5),
        (CallOptions(tool_choice="required"), ("tool_choice",), "required"),
        (
            CallOptions(tool_choice="lookup"),
            ("tool_choice",),
            {"type": "function", "name": "lookup"},
        ),
        (CallOptions(parallel_tool_calls=False), ("parallel_tool_calls",), False),
        (
            CallOptions(reasoning=Reasoning(effort="high", summary="auto")),
            ("reasoning",),
            {"effort": "high", "summary": "auto"},
        ),
        (CallOptions(response_format=SCHEMA), ("text", "format", "schema"), SCHEMA),
        (CallOptions(extra_body={"service_tier": "flex"}), ("service_tier",), "flex"),
    ],
)
def test_each_option_reaches_the_body_under_the_responses_name(
    options: CallOptions, path: tuple[str, ...], value: Any
) -> None:
    for body in (adapter().request_body([UserMessage("hi")], [TOOL], options),
                 adapter(options=options).request_body([UserMessage("hi")], [TOOL])):  # fmt: skip
        found: Any = body
        for key in path:
            found = found[key]
        assert found == value


@pytest.mark.parametrize(
    ("option", "value"),
    [("stop", ("END",)), ("seed", 3), ("reasoning", Reasoning(budget_tokens=100))],
)
def test_what_responses_cannot_express_is_a_value_error(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match="openai-responses wire cannot express"):
        adapter().request_body([UserMessage("hi")], [], CallOptions(**{option: value}))


def test_stateless_by_default_and_stored_on_request() -> None:
    body = adapter().request_body([UserMessage("hi")])
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    stored = adapter(store=True, previous_response_id="resp_1").request_body([UserMessage("hi")])
    assert stored["store"] is True and stored["previous_response_id"] == "resp_1"
    assert "include" not in stored
