"""``OllamaAdapter`` against a loopback server that fails in the ways RELIABILITY.md lists for
NDJSON: error lines before and after output, truncation, an endless line, an unknown model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmport.adapters.ollama import OllamaAdapter
from llmport.core.http import Limits
from llmport.domain.errors import (
    LlmError,
    NotFoundError,
    StreamInBandError,
    StreamTooLargeError,
    StreamTruncatedError,
)
from llmport.domain.events import Done, FinishReason, LlmStreamEvent, TextDelta
from llmport.domain.messages import UserMessage
from llmport.testing import check_port
from tests.support.fake_server import FakeServer, Reply

pytestmark = pytest.mark.usefixtures("transport")  # every test on every transport

NDJSON = {"content-type": "application/x-ndjson"}
KEY = "ollama-SENTINEL-fault-key"


def lines(*objects: dict[str, Any], newline_at_end: bool = True) -> list[bytes]:
    out = [json.dumps(o).encode() + b"\n" for o in objects]
    if out and not newline_at_end:
        out[-1] = out[-1].rstrip(b"\n")
    return out


def text(t: str) -> dict[str, Any]:
    return {"model": "m", "message": {"role": "assistant", "content": t}, "done": False}


DONE = {
    "model": "m",
    "message": {"role": "assistant", "content": ""},
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 3,
    "eval_count": 2,
}


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


async def run(server: FakeServer, **options: Any) -> tuple[list[LlmStreamEvent], LlmError | None]:
    """One turn through the conformance kit's ``check_port`` (which also holds the stream to the
    contract): the events with the ``Done`` last, or the error."""
    async with OllamaAdapter("m", base_url=server.url, max_retries=1, **options) as port:
        outcome = await check_port(port, [UserMessage("hi")])
    events = [*outcome.events, *([outcome.done] if outcome.done is not None else [])]
    assert (outcome.error is None) == (bool(events) and isinstance(events[-1], Done))
    return events, outcome.error


async def test_a_whole_stream_and_its_request(server: FakeServer) -> None:
    server.add(Reply(headers=NDJSON, body=lines(text("Hel"), text("lo"), DONE)))
    events, error = await run(server, api_key=KEY)
    assert error is None
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "Hello"
    assert done.finish_reason is FinishReason.STOP
    request = server.requests[0]
    assert request.path == "/api/chat"
    assert request.json()["stream"] is True
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["accept"] == "application/x-ndjson"
    assert headers["authorization"] == f"Bearer {KEY}"


async def test_the_last_line_without_its_newline_still_counts(server: FakeServer) -> None:
    server.add(Reply(headers=NDJSON, body=lines(text("Hi"), DONE, newline_at_end=False)))
    events, error = await run(server)
    assert error is None and isinstance(events[-1], Done)


async def test_a_line_cut_inside_its_json_is_truncation(server: FakeServer) -> None:
    body = b"".join(lines(text("Hi"), DONE))
    server.add(Reply(headers=NDJSON, body=[body[:-20]], end="close", chunked=False))
    events, error = await run(server)
    assert isinstance(error, StreamTruncatedError)
    assert error.after_output is True
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("Hi")]


async def test_a_body_ending_before_done_is_truncation(server: FakeServer) -> None:
    server.add(Reply(headers=NDJSON, body=lines(text("Hi"))))
    _, error = await run(server)
    assert isinstance(error, StreamTruncatedError)


async def test_an_error_line_after_output_ends_the_stream_without_done(server: FakeServer) -> None:
    server.add(Reply(headers=NDJSON, body=lines(text("Hi"), {"error": "runner crashed"}, DONE)))
    events, error = await run(server)
    assert isinstance(error, StreamInBandError)
    assert "runner crashed" in str(error) and error.after_output is True
    assert not any(isinstance(e, Done) for e in events)


async def test_an_error_line_before_output_is_retried_only_when_transient(
    server: FakeServer,
) -> None:
    server.add(
        Reply(headers=NDJSON, body=lines({"error": "server busy, please try again"})),
        Reply(headers=NDJSON, body=lines(text("ok"), DONE)),
    )
    events, error = await run(server)
    assert error is None and len(server.requests) == 2
    server.requests.clear()
    server.add(Reply(headers=NDJSON, body=lines({"error": "invalid options"})))
    _, error = await run(server)
    assert isinstance(error, StreamInBandError) and error.after_output is False
    assert len(server.requests) == 1


async def test_an_endless_line_is_bounded(server: FakeServer) -> None:
    server.add(Reply(headers=NDJSON, body=[b'{"model":"m","message":{"content":"'], end="endless"))
    _, error = await run(server, limits=Limits(max_event_bytes=256 * 1024))
    assert isinstance(error, StreamTooLargeError)
    await server.wait_all_closed(timeout=2.0)


async def test_an_unknown_model_is_not_found(server: FakeServer) -> None:
    body = json.dumps({"error": "model 'nope' not found"}).encode()
    server.add(Reply(status=404, headers={"content-type": "application/json"}, body=[body]))
    _, error = await run(server)
    assert isinstance(error, NotFoundError)
    assert "model 'nope' not found" in str(error)
    assert error.status_code == 404 and error.provider == "ollama"
