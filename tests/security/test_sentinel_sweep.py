"""A hostile server that echoes the key everywhere it can, and a tool that raises with it: the
sentinel must appear nowhere we hand out: errors (``str``, ``repr``, the ``__cause__`` /
``__context__`` chain), events, the assembled message, the run log, DEBUG logs, the next
request. One test per leak the fault campaign found, on the real loopback server."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from llmport import Agent, Done, LlmError, ToolMessage, UserMessage, register_secret, tool
from llmport.adapters.anthropic import AnthropicAdapter
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.cli.store import RunStore
from llmport.domain.redaction import redact
from tests.support.fake_server import FakeServer, Reply, sse

SENTINEL = "sk-SENTINEL-sweep-0123456789abcdef"


def chain(error: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def assert_clean_error(error: BaseException) -> None:
    for link in chain(error):
        assert SENTINEL not in str(link), str(link)
        assert SENTINEL not in repr(link), repr(link)
        if isinstance(link, LlmError):
            assert SENTINEL not in (link.request_id or "")
            assert SENTINEL not in (link.code or "")


async def consume(port: Any, **kwargs: Any) -> tuple[list[Any], LlmError | None]:
    events: list[Any] = []
    try:
        stream = await port.chat_stream([UserMessage("hi")], [], **kwargs)
        async with stream:
            async for event in stream:
                events.append(event)
    except LlmError as error:
        return events, error
    return events, None


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()


async def test_openai_in_band_error_echoing_the_key(debug_logs: pytest.LogCaptureFixture) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}
    echo = {
        "error": {"message": f"invalid key {SENTINEL}", "type": "server_error", "code": SENTINEL}
    }
    async with FakeServer() as server:
        server.add(Reply(body=sse(chunk, echo)))
        async with OpenAIChatAdapter("m", base_url=server.url, api_key=SENTINEL) as port:
            events, error = await consume(port)
    assert error is not None and "***" in str(error)
    assert_clean_error(error)
    assert SENTINEL not in repr(events)
    assert_logs_clean(debug_logs)


async def test_anthropic_in_band_error_echoing_the_key(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    start = {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}}
    error_event = {"type": "error", "error": {"type": "api_error", "message": f"echo {SENTINEL}"}}
    body = [
        f"event: message_start\ndata: {json.dumps(start)}\n\n".encode(),
        f"event: error\ndata: {json.dumps(error_event)}\n\n".encode(),
    ]
    async with FakeServer() as server:
        server.add(Reply(body=body))
        async with AnthropicAdapter(
            "m", base_url=server.url, api_key=SENTINEL, max_retries=0
        ) as port:
            _, error = await consume(port)
    assert error is not None
    assert_clean_error(error)
    assert_logs_clean(debug_logs)


async def test_every_response_header_and_the_error_body_echoing_the_key() -> None:
    headers = {
        "content-type": "application/json",
        "x-request-id": f"req-{SENTINEL}",
        "request-id": SENTINEL,
        "x-echo": f"Bearer {SENTINEL}",
    }
    body = json.dumps({"error": {"message": f"bad key {SENTINEL}", "type": "auth"}}).encode()
    async with FakeServer() as server:
        server.add(Reply(status=401, headers=headers, body=[body]))
        async with OpenAIChatAdapter("m", base_url=server.url, api_key=SENTINEL) as port:
            _, error = await consume(port)
    assert error is not None and error.request_id is not None
    assert error.request_id.startswith("req-")
    assert_clean_error(error)


async def test_a_provider_block_echoing_the_key_is_scrubbed() -> None:
    start = {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}}
    block = {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"q": SENTINEL}}
    frames = [
        ("message_start", start),
        ("content_block_start",
         {"type": "content_block_start", "index": 0, "content_block": block}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                           "usage": {"output_tokens": 1}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    body = [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in frames]
    async with FakeServer() as server:
        server.add(Reply(body=body))
        async with AnthropicAdapter("m", base_url=server.url, api_key=SENTINEL) as port:
            events, error = await consume(port)
    assert error is None
    done = events[-1]
    assert isinstance(done, Done)
    assert SENTINEL not in json.dumps([dict(b) for b in done.message.provider_blocks])


async def test_a_tool_raising_with_the_key_never_sends_it_to_the_model(
    debug_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    @tool
    def lookup(query: str) -> str:
        """Look something up."""
        raise RuntimeError(f"upstream refused key {SENTINEL}")

    call = {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": "c1", "type": "function",
                         "function": {"name": "lookup", "arguments": '{"query": "x"}'}}
                    ]
                },
                "finish_reason": "tool_calls",
            }
        ]
    }  # fmt: skip
    answer = {"choices": [{"index": 0, "delta": {"content": "sorry"}, "finish_reason": "stop"}]}
    async with FakeServer() as server:
        server.add(Reply(body=sse(call)), Reply(body=sse(answer)))
        async with OpenAIChatAdapter("m", base_url=server.url, api_key=SENTINEL) as port:
            result = await Agent(port, tools=[lookup]).run("look x up")
        second_request = server.requests[1].body.decode()
    results = [m for m in result.transcript if isinstance(m, ToolMessage)]
    assert results and results[0].is_error and "***" in results[0].content
    assert SENTINEL not in second_request
    assert all(SENTINEL not in json.dumps(str(m)) for m in result.transcript)
    store = RunStore(tmp_path)
    run_id = store.start(model="openai:m", prompt="look x up", kind="run")
    store.finish(run_id, status="ok", transcript=result.transcript)
    with sqlite3.connect(store.path) as db:
        dump = "\n".join(db.iterdump())
    assert SENTINEL not in dump
    assert_logs_clean(debug_logs)


def test_a_user_registered_secret_is_redacted_from_tool_results() -> None:
    register_secret("my-own-token-ABCDEFGH")
    assert redact("token my-own-token-ABCDEFGH used") == "token *** used"
    register_secret("short")  # too short to mask safely: ignored
    assert redact("a short word") == "a short word"


def test_a_key_over_plain_http_to_another_host_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="llmport.http")
    OpenAIChatAdapter("m", base_url="http://10.1.2.3:8080/v1", api_key=SENTINEL)
    warnings = [r for r in caplog.records if "plain http" in r.getMessage()]
    assert len(warnings) == 1 and "10.1.2.3" in warnings[0].getMessage()
    assert SENTINEL not in warnings[0].getMessage()
    caplog.clear()
    for url in ("http://127.0.0.1:8080/v1", "http://localhost:1/v1", "https://gw.example/v1"):
        OpenAIChatAdapter("m", base_url=url, api_key=SENTINEL)
    OpenAIChatAdapter("m", base_url="http://10.1.2.3:8080/v1")  # no key: nothing to warn about
    assert not [r for r in caplog.records if "plain http" in r.getMessage()]


def test_credentials_in_the_base_url_are_refused() -> None:
    with pytest.raises(ValueError, match="credentials"):
        OpenAIChatAdapter("m", base_url=f"https://user:{SENTINEL}@gw.example/v1", api_key="k")
