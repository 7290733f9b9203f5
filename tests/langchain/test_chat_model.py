"""``ChatLlmport`` over the scripted double: chunks, tools, options, structured output and the
refusal of incomplete tool calls."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core", reason="the langchain extra is not installed")

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.domain.events import (
    Done,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import AssistantMessage
from llmport.domain.options import CallOptions
from llmport.langchain import ChatLlmport, IncompleteToolCallsError


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


class Answer(BaseModel):
    """An answer."""

    value: int = Field(description="the number")


USAGE = Usage(5, 2, 1, 1)


def text_turn(text: str = "Hello there", usage: Usage | None = USAGE) -> ScriptedTurn:
    return ScriptedTurn(
        (
            ReasoningDelta("thinking"),
            *(TextDelta(w) for w in text.split(" ")),
            Done(
                FinishReason.STOP, "stop", usage, AssistantMessage(), response_id="r1", model="m-1"
            ),
        )
    )


def tool_turn(reason: FinishReason = FinishReason.TOOL_CALLS) -> ScriptedTurn:
    return ScriptedTurn(
        (
            ToolCallDelta(0, "call_1", "get_weather", '{"ci'),
            ToolCallDelta(0, arguments='ty": "Paris"}'),
            Done(reason, reason.value, Usage(3, 4), AssistantMessage()),
        )
    )


def test_stream_yields_text_then_a_last_chunk_with_usage_and_finish_reason() -> None:
    port = ScriptedAdapter([text_turn()])
    chunks = list(ChatLlmport(port).stream("hi"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert [c.content for c in chunks[:-1]] == ["", "Hello", "there"]
    assert chunks[0].additional_kwargs == {"reasoning_content": "thinking"}
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 2,
        "total_tokens": 7,
        "input_token_details": {"cache_read": 1},
        "output_token_details": {"reasoning": 1},
    }
    assert last.response_metadata["finish_reason"] == "stop"
    assert last.response_metadata["model_name"] == "m-1"
    assert last.response_metadata["id"] == "r1"
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.content_blocks == [
        {"type": "reasoning", "reasoning": "thinking"},
        {"type": "text", "text": "Hellothere"},
    ]


async def test_invoke_and_ainvoke_assemble_the_message() -> None:
    port = ScriptedAdapter([text_turn(), text_turn("again you")])
    model = ChatLlmport(port)
    first = model.invoke("hi")
    second = await model.ainvoke([HumanMessage("hi"), AIMessage("Hello there"), HumanMessage("?")])
    assert isinstance(first, AIMessage) and first.content == "Hellothere"
    assert second.content == "againyou"
    assert second.usage_metadata is not None and second.usage_metadata["total_tokens"] == 7
    assert [type(m).__name__ for m in port.calls[1].messages] == [
        "UserMessage",
        "AssistantMessage",
        "UserMessage",
    ]


def test_tool_calls_arrive_whole_on_the_last_chunk() -> None:
    port = ScriptedAdapter([tool_turn(), tool_turn()])
    model = ChatLlmport(port).bind_tools([get_weather], tool_choice="any")
    chunks = list(model.stream("weather?"))
    assert chunks[-1].tool_call_chunks == [
        {"name": "get_weather", "args": '{"city": "Paris"}', "id": "call_1", "index": 0,
         "type": "tool_call_chunk"}
    ]  # fmt: skip
    message = model.invoke("weather?")
    assert message.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    ]
    (offered,) = port.calls[0].tools
    assert offered.name == "get_weather" and "city" in offered.parameters["properties"]
    assert port.calls[0].options == CallOptions(tool_choice="required")


@pytest.mark.parametrize("reason", [FinishReason.LENGTH, FinishReason.MALFORMED_TOOL_CALL])
async def test_an_incomplete_tool_call_is_refused(reason: FinishReason) -> None:
    port = ScriptedAdapter([tool_turn(reason), tool_turn(reason)])
    model = ChatLlmport(port).bind_tools([get_weather])
    with pytest.raises(IncompleteToolCallsError, match=reason.value) as caught:
        model.invoke("weather?")
    assert caught.value.finish_reason is reason
    assert [c.name for c in caught.value.calls] == ["get_weather"]
    seen: list[AIMessageChunk] = []
    with pytest.raises(IncompleteToolCallsError):
        async for chunk in model.astream("weather?"):
            seen.append(chunk)
    assert all(not c.tool_call_chunks for c in seen)  # nothing of the call got out


def test_tool_choice_spellings() -> None:
    port = ScriptedAdapter([text_turn() for _ in range(4)])
    model = ChatLlmport(port)
    model.bind_tools([get_weather], tool_choice="get_weather").invoke("x")
    model.bind_tools(
        [get_weather], tool_choice={"type": "function", "function": {"name": "get_weather"}}
    ).invoke("x")
    model.bind_tools([get_weather], tool_choice="none").invoke("x")
    model.bind_tools([get_weather], tool_choice=True).invoke("x")
    assert [c.options.tool_choice for c in port.calls] == [
        "get_weather", "get_weather", "none", "required"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="not one of the tools"):
        model.bind_tools([get_weather], tool_choice="nope")


def test_per_call_options_reach_the_port() -> None:
    port = ScriptedAdapter([text_turn() for _ in range(3)])
    model = ChatLlmport(port, temperature=0.2, max_tokens=50, stop=["END"], seed=7)
    model.invoke("x")
    model.invoke("x", stop=["STOP"], temperature=0.9, reasoning="high")
    model.invoke("x", options=CallOptions(top_p=0.5, max_tokens=9))
    first, second, third = (c.options for c in port.calls)
    assert first == CallOptions(temperature=0.2, max_tokens=50, stop=("END",), seed=7)
    assert second.stop == ("STOP",) and second.temperature == 0.9
    assert second.reasoning is not None and second.reasoning.effort == "high"
    # A per-call CallOptions wins over the model's fields; the fields it leaves unset stay.
    assert third.top_p == 0.5 and third.max_tokens == 9 and third.seed == 7
    with pytest.raises(TypeError, match="unexpected keyword"):
        model.invoke("x", frobnicate=True)


def test_structured_output_through_the_response_format() -> None:
    port = ScriptedAdapter([ScriptedTurn.text('{"value": 42}', chunk=3)])
    result = ChatLlmport(port).with_structured_output(Answer).invoke("the answer?")
    assert result == Answer(value=42)
    sent = port.calls[0].options.response_format
    assert sent["properties"]["value"]["type"] == "integer"
    assert sent["additionalProperties"] is False
    raw = ScriptedAdapter([ScriptedTurn.text("not json")])
    out = ChatLlmport(raw).with_structured_output(Answer, include_raw=True).invoke("?")
    assert out["parsed"] is None and out["parsing_error"] is not None
    assert out["raw"].content == "not json"


def test_structured_output_through_a_forced_tool_call() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn(
                (
                    ToolCallDelta(0, "c", "Answer", json.dumps({"value": 7})),
                    Done(FinishReason.TOOL_CALLS, "tool_calls", None, AssistantMessage()),
                )
            )
        ]
    )
    model = ChatLlmport(port).with_structured_output(Answer, method="function_calling")
    assert model.invoke("?") == Answer(value=7)
    assert port.calls[0].options.tool_choice == "Answer"


def test_a_model_string_connects_lazily_and_overrides_per_call() -> None:
    model = ChatLlmport("scripted", temperature=0)
    assert model._ports == {}
    assert model.invoke("ping").content == "You said: ping"
    assert model.invoke("pong", model="other").content == "You said: pong"
    assert set(model._ports) == {"scripted", "scripted:other"}
    assert model._get_ls_params()["ls_model_name"] == "scripted"


def test_bad_construction_and_a_model_override_on_a_ready_port() -> None:
    with pytest.raises(ValueError, match="needs a port or a model string"):
        ChatLlmport()
    with pytest.raises(TypeError, match="needs an LlmCompletionPort"):
        ChatLlmport(port=object())
    port = ScriptedAdapter([text_turn()])
    with pytest.raises(ValueError, match="per-call model"):
        ChatLlmport(port).invoke("x", model="other")


def test_leaving_a_sync_stream_early_closes_the_port_stream() -> None:
    port = ScriptedAdapter([ScriptedTurn.text("a b c d e f", chunk=1)])
    stream = ChatLlmport(port).stream("x")
    next(stream)
    stream.close()
    assert port.closed_streams == 1


def test_the_api_key_is_never_shown() -> None:
    model = ChatLlmport("scripted", api_key="sk-langchain-secret-123")
    assert "sk-langchain-secret-123" not in repr(model)
    assert "sk-langchain-secret-123" not in json.dumps(model.model_dump(), default=str)
