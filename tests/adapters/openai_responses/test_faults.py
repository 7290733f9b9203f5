"""``OpenAIResponsesAdapter`` against a loopback server that fails in the ways RELIABILITY.md
lists for the Responses API, each ending in exactly one terminal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmport.adapters.openai_responses import OpenAIResponsesAdapter
from llmport.domain.errors import (
    AuthenticationError,
    LlmError,
    RateLimitError,
    StreamInBandError,
    StreamTruncatedError,
)
from llmport.domain.events import Done, LlmStreamEvent, TextDelta
from llmport.domain.messages import UserMessage
from llmport.testing import check_port
from tests.support.fake_server import FakeServer, Reply

pytestmark = pytest.mark.usefixtures("transport")  # every test on every transport

KEY = "sk-SENTINEL-responses-0123456789"
CREATED = {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5"}}
TEXT = {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Hi"}
DONE = {"type": "response.completed", "response": {"status": "completed",
        "usage": {"input_tokens": 3, "output_tokens": 1}}}  # fmt: skip
FAILED = {"type": "response.failed", "response": {"status": "failed",
          "error": {"code": "server_error", "message": "the model crashed"}}}  # fmt: skip


def events(*items: dict[str, Any]) -> list[bytes]:
    return [f"event: {i['type']}\ndata: {json.dumps(i)}\n\n".encode() for i in items]


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


async def run(server: FakeServer, **options: Any) -> tuple[list[LlmStreamEvent], LlmError | None]:
    """One turn through the conformance kit's ``check_port`` (which also holds the stream to the
    contract): the events with the ``Done`` last, or the error."""
    async with OpenAIResponsesAdapter("gpt-5", base_url=server.url, api_key=KEY, **options) as port:
        outcome = await check_port(port, [UserMessage("hi")])
    events = [*outcome.events, *([outcome.done] if outcome.done is not None else [])]
    if outcome.error is not None:
        assert KEY not in str(outcome.error) and KEY not in repr(outcome.error)
    return events, outcome.error


async def test_a_whole_stream_posts_to_responses(server: FakeServer) -> None:
    server.add(Reply(body=events(CREATED, TEXT, DONE)))
    out, error = await run(server)
    assert error is None and isinstance(out[-1], Done) and out[-1].message.text == "Hi"
    request = server.requests[0]
    assert request.path == "/responses"
    assert request.json()["stream"] is True and request.json()["store"] is False


async def test_truncation_is_a_typed_error_after_output(server: FakeServer) -> None:
    server.add(Reply(body=events(CREATED, TEXT)))
    out, error = await run(server)
    assert isinstance(error, StreamTruncatedError) and error.after_output
    assert out == [TextDelta("Hi")]


async def test_a_failed_response_before_output_is_retried(server: FakeServer) -> None:
    server.add(Reply(body=events(CREATED, FAILED)), Reply(body=events(CREATED, TEXT, DONE)))
    out, error = await run(server, max_retries=1)
    assert error is None and isinstance(out[-1], Done)
    assert len(server.requests) == 2


async def test_a_failed_response_after_output_is_an_error_never_retried(server: FakeServer) -> None:
    server.add(Reply(body=events(CREATED, TEXT, FAILED)))
    out, error = await run(server, max_retries=2)
    assert isinstance(error, StreamInBandError) and error.after_output
    assert "the model crashed" in str(error)
    assert len(server.requests) == 1


async def test_an_error_event_is_an_in_band_error(server: FakeServer) -> None:
    error_event = {"type": "error", "code": "invalid_prompt", "message": "bad prompt"}
    server.add(Reply(body=events(CREATED, error_event)))
    _, error = await run(server)
    assert isinstance(error, StreamInBandError) and "bad prompt" in str(error)


async def test_429_with_retry_after_and_401_without_the_key(server: FakeServer) -> None:
    body = json.dumps({"error": {"type": "rate_limit_error", "message": "slow"}}).encode()
    server.add(Reply(status=429, headers={"retry-after": "7", "content-type": "application/json"},
                     body=[body]))  # fmt: skip
    _, error = await run(server, max_retries=0)
    assert isinstance(error, RateLimitError) and error.retry_after == 7
    detail = {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}
    echo = json.dumps({"error": {**detail, "type": "invalid_request_error"}})
    server.add(
        Reply(status=401, headers={"content-type": "application/json"}, body=[echo.encode()])
    )
    _, error = await run(server, max_retries=0)
    assert isinstance(error, AuthenticationError) and error.status_code == 401
