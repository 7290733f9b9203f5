"""``llmport.otel.instrument``: the span tree and attributes of agent runs, read back from the
real OpenTelemetry SDK's in-memory exporter and metric reader."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK is not installed")

from opentelemetry.trace import SpanKind, StatusCode

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.agent.errors import AgentError
from llmport.agent.loop import Agent
from llmport.domain.errors import RateLimitError
from llmport.domain.events import Done, FinishReason, TextDelta, ToolCallDelta, Usage
from llmport.domain.messages import AssistantMessage, UserMessage
from llmport.domain.redaction import register_secret
from llmport.otel import InstrumentedAgent, InstrumentedPort, InstrumentedTools, instrument
from tests.otel.support import pipeline

SECRET = "otel-secret-4b8e21f0c3"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def fail(reason: str) -> str:
    """Always fails."""
    raise ValueError(reason)


def done(reason: FinishReason, usage: Usage, rid: str, model: str = "scripted-1") -> Done:
    return Done(reason, reason.value, usage, AssistantMessage(), response_id=rid, model=model)


def two_tool_calls() -> ScriptedAdapter:
    return ScriptedAdapter(
        [
            ScriptedTurn(
                (
                    ToolCallDelta(0, "c1", "add", '{"a": 1, "b": 2}'),
                    ToolCallDelta(1, "c2", "add", '{"a": 3, "b": 4}'),
                    done(FinishReason.TOOL_CALLS, Usage(10, 5, cached_input_tokens=4), "r1"),
                )
            ),
            ScriptedTurn((TextDelta("3 and 7"), done(FinishReason.STOP, Usage(30, 6, 0, 2), "r2"))),
        ]
    )


async def test_an_agent_run_with_two_tool_calls_is_a_span_tree() -> None:
    otel = pipeline()
    agent = instrument(Agent(two_tool_calls(), tools=[add]), **otel.kwargs(agent_name="calc"))
    assert isinstance(agent, InstrumentedAgent)
    result = await agent.run("add twice")
    assert result.text == "3 and 7"

    root = otel.span("invoke_agent calc")
    chats = [s for s in otel.spans() if s.name == "chat"]
    tools = [s for s in otel.spans() if s.name == "execute_tool add"]
    assert len(otel.spans()) == 5 and len(chats) == 2 and len(tools) == 2
    assert root.parent is None
    for child in [*chats, *tools]:
        assert child.parent is not None and child.parent.span_id == root.context.span_id
        assert child.context.trace_id == root.context.trace_id
    # Order: chat, both tools, chat.
    first, second = sorted(chats, key=lambda s: s.start_time)
    assert first.end_time <= min(t.start_time for t in tools)
    assert second.start_time >= max(t.end_time for t in tools)

    assert root.kind is SpanKind.INTERNAL
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "calc"
    assert root.attributes["gen_ai.provider.name"] == "scripted"
    assert root.attributes["gen_ai.usage.input_tokens"] == 40
    assert root.attributes["gen_ai.usage.output_tokens"] == 11
    assert root.attributes["llmport.turns"] == 2
    assert root.status.status_code is StatusCode.UNSET

    assert first.kind is SpanKind.CLIENT
    attrs = dict(first.attributes)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "scripted"
    assert attrs["gen_ai.response.model"] == "scripted-1"
    assert attrs["gen_ai.response.id"] == "r1"
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attrs["gen_ai.usage.input_tokens"] == 10
    assert attrs["gen_ai.usage.output_tokens"] == 5
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0
    assert "error.type" not in attrs
    assert dict(second.attributes)["gen_ai.response.finish_reasons"] == ("stop",)
    assert dict(second.attributes)["gen_ai.usage.reasoning.output_tokens"] == 2

    ids = sorted(t.attributes["gen_ai.tool.call.id"] for t in tools)
    assert ids == ["c1", "c2"]
    for span in tools:
        assert span.attributes["gen_ai.operation.name"] == "execute_tool"
        assert span.attributes["gen_ai.tool.name"] == "add"
        assert span.attributes["gen_ai.tool.type"] == "function"
        assert span.attributes["gen_ai.tool.description"] == "Add two integers."
        assert span.status.status_code is StatusCode.UNSET

    durations = otel.points("gen_ai.client.operation.duration")
    assert sum(p.count for p in durations) == 2
    usage = {
        p.attributes["gen_ai.token.type"]: p.sum for p in otel.points("gen_ai.client.token.usage")
    }
    assert usage == {"input": 40, "output": 11}
    assert sum(p.count for p in otel.points("gen_ai.client.operation.time_to_first_chunk")) == 2


async def test_an_error_run_carries_the_typed_error() -> None:
    otel = pipeline()
    port = ScriptedAdapter(
        [ScriptedTurn.failing(RateLimitError("slow down", provider="scripted", status_code=429))]
    )
    agent = instrument(Agent(port), **otel.kwargs())
    with pytest.raises(AgentError):
        await agent.run("hi")
    chat = otel.span("chat")
    assert chat.attributes["error.type"] == "RateLimitError"
    assert chat.status.status_code is StatusCode.ERROR
    assert any(e.name == "exception" for e in chat.events)
    root = otel.span("invoke_agent llmport")
    assert root.attributes["error.type"] == "AgentInternalError"
    assert root.attributes["llmport.error.cause"] == "RateLimitError"
    assert root.status.status_code is StatusCode.ERROR
    (point,) = otel.points("gen_ai.client.operation.duration")
    assert point.attributes["error.type"] == "RateLimitError"


async def test_a_request_that_cannot_start_is_an_error_span() -> None:
    otel = pipeline()
    port = ScriptedAdapter([ScriptedTurn(start_error=RateLimitError("no", provider="scripted"))])
    with pytest.raises(RateLimitError):
        await instrument(port, **otel.kwargs()).chat_stream([], [])
    assert otel.span("chat").attributes["error.type"] == "RateLimitError"


async def test_a_failing_tool_is_an_error_execute_tool_span() -> None:
    otel = pipeline()
    port = ScriptedAdapter(
        [ScriptedTurn.tool_calls(("fail", {"reason": "x"})), ScriptedTurn.text("sorry")]
    )
    await instrument(Agent(port, tools=[fail]), **otel.kwargs()).run("go")
    span = otel.span("execute_tool fail")
    assert span.attributes["error.type"] == "tool_error"
    assert span.status.status_code is StatusCode.ERROR


async def test_contents_are_absent_unless_opted_in() -> None:
    register_secret(SECRET)

    def script() -> ScriptedAdapter:
        return ScriptedAdapter(
            [
                ScriptedTurn.tool_calls(("add", {"a": 1, "b": 2})),
                ScriptedTurn.text(f"the key is {SECRET}"),
            ]
        )

    content_keys = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    quiet = pipeline()
    await instrument(Agent(script(), tools=[add], system="be brief"), **quiet.kwargs()).run(
        f"secret prompt {SECRET}"
    )
    for span in quiet.spans():
        assert not content_keys & set(span.attributes)
        assert SECRET not in json.dumps(dict(span.attributes), default=str)

    loud = pipeline()
    agent = instrument(
        Agent(script(), tools=[add], system="be brief"), **loud.kwargs(capture_content=True)
    )
    await agent.run(f"secret prompt {SECRET}")
    first, second = sorted(
        (s for s in loud.spans() if s.name == "chat"), key=lambda s: s.start_time
    )
    inputs = json.loads(first.attributes["gen_ai.input.messages"])
    assert inputs == [{"role": "user", "parts": [{"type": "text", "content": "secret prompt ***"}]}]
    assert json.loads(first.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "be brief"}
    ]
    assert json.loads(first.attributes["gen_ai.tool.definitions"])[0]["name"] == "add"
    output = json.loads(first.attributes["gen_ai.output.messages"])
    assert output[0]["parts"][0] == {
        "type": "tool_call", "id": "call_0", "name": "add", "arguments": {"a": 1, "b": 2}
    }  # fmt: skip
    assert output[0]["finish_reason"] == "tool_call"
    assert json.loads(second.attributes["gen_ai.output.messages"])[0]["parts"][0] == {
        "type": "text", "content": "the key is ***"
    }  # fmt: skip
    tool = loud.span("execute_tool add")
    assert tool.attributes["gen_ai.tool.call.arguments"] == '{"a": 1, "b": 2}'
    assert tool.attributes["gen_ai.tool.call.result"] == "3"
    for span in loud.spans():
        assert SECRET not in json.dumps(dict(span.attributes), default=str)


async def test_capture_follows_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    otel = pipeline()
    port = instrument(ScriptedAdapter([ScriptedTurn.text("hi")]), **otel.kwargs())
    async with await port.chat_stream([UserMessage("hello")], []) as stream:
        assert [type(e).__name__ async for e in stream] == ["TextDelta", "Done"]
    assert "gen_ai.input.messages" in otel.span("chat").attributes


async def test_an_early_close_ends_the_span_without_an_error() -> None:
    otel = pipeline()
    port = instrument(ScriptedAdapter([ScriptedTurn.text("abcdef", chunk=1)]), **otel.kwargs())
    async with await port.chat_stream([], []) as stream:
        async for _ in stream:
            break
    span = otel.span("chat")
    assert span.attributes["llmport.cancelled"] is True
    assert "error.type" not in span.attributes
    assert span.status.status_code is StatusCode.UNSET


def test_instrument_dispatches_on_what_it_gets() -> None:
    otel = pipeline()
    port = ScriptedAdapter([])
    assert isinstance(instrument(port, **otel.kwargs()), InstrumentedPort)
    from llmport.agent.tools import ToolRegistry

    assert isinstance(instrument(ToolRegistry([add]), **otel.kwargs()), InstrumentedTools)
    with pytest.raises(TypeError, match="not int"):
        instrument(3, **otel.kwargs())  # type: ignore[call-overload]
    wrapped = instrument(port, **otel.kwargs())
    assert wrapped.remaining == 0  # the port's own attributes show through


def test_wrappers_copy_and_show_the_wrapped_attributes() -> None:
    import copy

    otel = pipeline()
    port = instrument(ScriptedAdapter([]), **otel.kwargs())
    clone = copy.copy(port)
    assert clone.port is port.port and clone.remaining == 0
    tools = instrument(Agent(ScriptedAdapter([]), tools=[add]), **otel.kwargs()).tools
    assert copy.copy(tools).get("add") is not None  # ToolRegistry's own get() shows through
