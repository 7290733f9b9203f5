"""The Gemini encoder: against the recorded request bodies, signatures back on their own parts
byte for byte, and ``CallOptions`` under Gemini's names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmport import CallOptions, Reasoning
from llmport.adapters.gemini import GeminiAdapter
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
from tests.support.goldens import mock_client
from tests.support.streams import RecordedStream, get_stream, stream_params


def adapter(**options: Any) -> GeminiAdapter:
    return GeminiAdapter("gemini-3-pro-preview", api_key="k", **options)


async def turn_of(name: str) -> AssistantMessage:
    stream = get_stream(name)
    content_type = stream.meta.get("content_type") or "text/event-stream"
    async with mock_client(stream.body, content_type=content_type) as client:
        port = GeminiAdapter("m", api_key="k", http_client=client)
        events = [e async for e in await port.chat_stream([UserMessage("x")], [])]
    return events[-1].message  # type: ignore[union-attr,no-any-return]


async def test_signed_calls_go_back_byte_for_byte_as_the_recorded_follow_up_sent_them() -> None:
    turn = await turn_of("gemini/function-call-gemini3")
    (call,) = turn.tool_calls
    followup = get_stream("gemini/function-response-followup-gemini3").request
    assert followup is not None
    history = [
        SystemMessage("You are a helpful assistant"),
        UserMessage("What's the weather in Florence,Italy?"),
        turn,
        ToolMessage(call.id, "40 C", name="weather"),
    ]
    body = adapter().request_body(history)
    assert body["contents"] == followup["contents"]
    # Byte for byte (the recorder sorted the keys; the signature's bytes are what matter).
    assert json.dumps(body["contents"], sort_keys=True) == json.dumps(
        followup["contents"], sort_keys=True
    )


@pytest.mark.parametrize(
    "name",
    ["gemini/thinking-thought-signature", "gemini/code-execution",
     "gemini/json-array-function-call", "gemini/parallel-function-calls-25pro",
     "gemini/two-finish-chunks-thoughts-code-exec"],
)  # fmt: skip
async def test_every_signature_goes_back_on_the_part_it_came_on(name: str) -> None:
    turn = await turn_of(name)
    stream = get_stream(name)
    text = stream.body.decode()
    if stream.wire_format == "gemini_json_array":
        chunks = json.loads(text)
    else:
        chunks = [json.loads(x[5:]) for x in text.replace("\r", "").split("\n")
                  if x.startswith("data:")]  # fmt: skip
    received = [p for c in chunks for p in c["candidates"][0]["content"].get("parts", [])]
    parts = adapter().request_body([UserMessage("x"), turn])["contents"][1]["parts"]
    wanted = [p for p in received if p != {"text": ""}]
    assert parts == wanted  # the same parts, in order, each with its own signature


def test_a_turn_without_its_record_sends_text_then_signed_calls() -> None:
    call = ToolCall("call_0", "f", {"a": 1}, provider_data={"thoughtSignature": "SIG"})
    parts = adapter().request_body([UserMessage("x"), AssistantMessage("hi", tool_calls=(call,))])
    assert parts["contents"][1] == {
        "role": "model",
        "parts": [{"text": "hi"}, {"functionCall": {"name": "f", "args": {"a": 1}},
                                   "thoughtSignature": "SIG"}],
    }  # fmt: skip


def test_results_by_name_and_order_and_images_and_merged_turns() -> None:
    calls = (ToolCall("call_0", "add", {"a": 1}), ToolCall("call_1", "mul", {"a": 2}))
    history: list[AgentMessage] = [
        UserMessage((TextPart("see"), ImagePart(data="QUJD", media_type="image/png"))),
        UserMessage("and this"),
        AssistantMessage(tool_calls=calls),
        ToolMessage("call_0", "3"),
        ToolMessage("call_1", '{"value": 4}'),
        ToolMessage("call_9", "oops", is_error=True, name="other"),
    ]
    contents = adapter().request_body(history)["contents"]
    assert contents[0] == {"role": "user", "parts": [
        {"text": "see"}, {"inlineData": {"mimeType": "image/png", "data": "QUJD"}},
        {"text": "and this"}]}  # fmt: skip
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "add", "response": {"result": "3"}}},
        {"functionResponse": {"name": "mul", "response": {"value": 4}}},
        {"functionResponse": {"name": "other", "response": {"error": "oops"}}}]}  # fmt: skip


@pytest.mark.parametrize("stream", stream_params("gemini_sse") + stream_params("gemini_json_array"))
def test_the_encoder_matches_the_recorded_request_shapes(stream: RecordedStream) -> None:
    recorded = stream.request
    assert recorded is not None
    texts = [p["text"] for c in recorded["contents"] if c["role"] == "user"
             for p in c["parts"] if "text" in p]  # fmt: skip
    if len(recorded["contents"]) != 1 or not texts:
        pytest.skip("a multi-turn request: covered by the round-trip tests")
    config = recorded.get("generationConfig") or {}
    options: dict[str, Any] = {}
    if "maxOutputTokens" in config:
        options["max_tokens"] = config["maxOutputTokens"]
    body = adapter(**options).request_body([UserMessage(texts[0])])
    theirs = [{**c, "parts": [{k: v for k, v in p.items() if (k, v) != ("thought", False)}
                              for p in c["parts"]]} for c in recorded["contents"]]  # fmt: skip
    assert body["contents"] == theirs
    if "maxOutputTokens" in config:
        assert body["generationConfig"]["maxOutputTokens"] == config["maxOutputTokens"]


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}
TOOL = ToolDefinition("lookup", "Look up", {"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("options", "path", "value"),
    [
        (CallOptions(max_tokens=64), ("generationConfig", "maxOutputTokens"), 64),
        (CallOptions(temperature=0.2), ("generationConfig", "temperature"), 0.2),
        (CallOptions(top_p=0.5), ("generationConfig", "topP"), 0.5),
        (CallOptions(stop="END"), ("generationConfig", "stopSequences"), ["END"]),
        (CallOptions(seed=3), ("generationConfig", "seed"), 3),
        (CallOptions(response_format=SCHEMA), ("generationConfig", "responseJsonSchema"), SCHEMA),
        (CallOptions(reasoning=Reasoning(budget_tokens=512)),
         ("generationConfig", "thinkingConfig"), {"thinkingBudget": 512, "includeThoughts": True}),
        (CallOptions(reasoning="none"), ("generationConfig", "thinkingConfig"),
         {"thinkingBudget": 0}),
        (CallOptions(reasoning="high"), ("generationConfig", "thinkingConfig"),
         {"thinkingLevel": "high", "includeThoughts": True}),
        (CallOptions(tool_choice="required"), ("toolConfig", "functionCallingConfig"),
         {"mode": "ANY"}),
        (CallOptions(tool_choice="lookup"), ("toolConfig", "functionCallingConfig"),
         {"mode": "ANY", "allowedFunctionNames": ["lookup"]}),
        (CallOptions(tool_choice="none"), ("toolConfig", "functionCallingConfig"),
         {"mode": "NONE"}),
    ],
)  # fmt: skip
def test_each_option_reaches_the_body_under_geminis_name(
    options: CallOptions, path: tuple[str, ...], value: Any
) -> None:
    for body in (adapter().request_body([UserMessage("hi")], [TOOL], options),
                 adapter(options=options).request_body([UserMessage("hi")], [TOOL])):  # fmt: skip
        found: Any = body
        for key in path:
            found = found[key]
        assert found == value


def test_what_gemini_cannot_express_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="gemini wire cannot express the option 'parallel"):
        adapter().request_body([UserMessage("hi")], [TOOL], CallOptions(parallel_tool_calls=False))
    with pytest.raises(ValueError, match="reasoning.summary"):
        adapter(reasoning=Reasoning(effort="low", summary="auto"))
