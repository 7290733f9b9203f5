"""``InstrumentedPort`` over a real HTTP adapter on a loopback server, and the passthrough
when no OpenTelemetry provider is configured."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK is not installed")

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.agent.loop import Agent
from llmport.otel import instrument
from tests.support.fake_server import FakeServer, Reply, sse

SRC = Path(__file__).resolve().parents[2] / "src"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def chunk(rid: str, delta: dict, finish: str | None = None, usage: dict | None = None) -> dict:
    body: dict = {
        "id": rid,
        "object": "chat.completion.chunk",
        "model": "gpt-test-2026",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def tool_call(index: int, cid: str, arguments: str) -> dict:
    return {
        "tool_calls": [
            {"index": index, "id": cid, "type": "function",
             "function": {"name": "add", "arguments": arguments}}
        ]
    }  # fmt: skip


TOOL_TURN = sse(
    chunk("resp-1", {"role": "assistant"}),
    chunk("resp-1", tool_call(0, "call_a", '{"a": 1, "b": 2}')),
    chunk("resp-1", tool_call(1, "call_b", '{"a": 3, "b": 4}')),
    chunk("resp-1", {}, "tool_calls"),
    {
        "id": "resp-1", "object": "chat.completion.chunk", "model": "gpt-test-2026", "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
                  "prompt_tokens_details": {"cached_tokens": 8}},
    },
)  # fmt: skip
TEXT_TURN = sse(
    chunk("resp-2", {"role": "assistant", "content": "3 and "}),
    chunk("resp-2", {"content": "7"}),
    chunk("resp-2", {}, "stop", {"prompt_tokens": 40, "completion_tokens": 3}),
)


async def test_an_agent_run_over_a_loopback_http_stream() -> None:
    from tests.otel.support import pipeline

    otel = pipeline()
    async with FakeServer() as server:
        server.add(Reply(status=503, headers={"retry-after": "0"}, body=b"busy"))
        server.add(Reply(body=TOOL_TURN))
        server.add(Reply(body=TEXT_TURN))
        async with OpenAIChatAdapter("gpt-test", base_url=server.url, api_key="k") as port:
            agent = instrument(Agent(port, tools=[add]), **otel.kwargs())
            result = await agent.run("add twice")
    assert result.text == "3 and 7"

    root = otel.span("invoke_agent llmport")
    chats = sorted(
        (s for s in otel.spans() if s.name == "chat gpt-test"), key=lambda s: s.start_time
    )
    tools = [s for s in otel.spans() if s.name == "execute_tool add"]
    assert len(chats) == 2 and len(tools) == 2 and len(otel.spans()) == 5
    for child in [*chats, *tools]:
        assert child.parent is not None and child.parent.span_id == root.context.span_id
    assert root.attributes["gen_ai.provider.name"] == "openai"
    assert root.attributes["gen_ai.request.model"] == "gpt-test"

    first, second = (dict(s.attributes) for s in chats)
    assert first["gen_ai.request.model"] == "gpt-test"
    assert first["gen_ai.response.model"] == "gpt-test-2026"
    assert first["gen_ai.response.id"] == "resp-1"
    assert first["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert first["gen_ai.usage.input_tokens"] == 12
    assert first["gen_ai.usage.output_tokens"] == 7
    assert first["gen_ai.usage.cache_read.input_tokens"] == 8
    assert first["llmport.retries"] == 1  # the 503 was retried once
    assert second["llmport.retries"] == 0
    assert second["gen_ai.response.id"] == "resp-2"
    assert second["gen_ai.response.finish_reasons"] == ("stop",)
    assert sorted(t.attributes["gen_ai.tool.call.id"] for t in tools) == ["call_a", "call_b"]

    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 2
    assert duration.attributes["gen_ai.response.model"] == "gpt-test-2026"
    tokens = {
        p.attributes["gen_ai.token.type"]: p.sum for p in otel.points("gen_ai.client.token.usage")
    }
    assert tokens == {"input": 52, "output": 10}


async def test_an_http_error_sets_error_type() -> None:
    from tests.otel.support import pipeline

    otel = pipeline()
    async with FakeServer() as server:
        server.add(
            Reply(status=401, headers={"content-type": "application/json"},
                  body=b'{"error": {"type": "invalid_api_key", "message": "bad key"}}')
        )  # fmt: skip
        async with OpenAIChatAdapter("gpt-test", base_url=server.url, api_key="k") as port:
            traced = instrument(port, **otel.kwargs())
            with pytest.raises(Exception) as caught:
                await traced.chat_stream([], [])
    span = otel.span("chat gpt-test")
    assert span.attributes["error.type"] == type(caught.value).__name__ == "AuthenticationError"


def test_without_a_configured_provider_the_stream_is_the_adapters_own() -> None:
    # A fresh interpreter: no global provider has ever been set there.
    code = textwrap.dedent(
        """
        import asyncio
        from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
        from llmport.otel import instrument

        async def main():
            inner = ScriptedAdapter([ScriptedTurn.text("hi"), ScriptedTurn.text("again")])
            port = instrument(inner)
            first = await port.chat_stream([], [])
            print(type(first).__name__)
            from opentelemetry import trace
            from opentelemetry.sdk.trace import TracerProvider
            trace.set_tracer_provider(TracerProvider())
            second = await port.chat_stream([], [])
            print(type(second).__name__)

        asyncio.run(main())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    ).stdout.split()  # fmt: skip
    assert out == ["GuardedStream", "TracedStream"]


async def test_instrument_connect_covers_every_port_connect_builds_until_undone() -> None:
    from llmport import UserMessage, connect
    from llmport.otel import InstrumentedPort, instrument_connect
    from tests.otel.support import pipeline

    telemetry = pipeline()
    before = connect("scripted")
    undo = instrument_connect(**telemetry.kwargs())
    try:
        port = connect("scripted")
        assert isinstance(port, InstrumentedPort) and not isinstance(before, InstrumentedPort)
        async with await port.chat_stream([UserMessage("hi")], []) as stream:
            assert [e async for e in stream][-1].message.text == "You said: hi"
    finally:
        undo()
    (span,) = telemetry.spans()
    assert span.name.startswith("chat") and span.attributes["gen_ai.provider.name"] == "scripted"
    assert not isinstance(connect("scripted"), InstrumentedPort)
