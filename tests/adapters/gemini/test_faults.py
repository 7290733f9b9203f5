"""``GeminiAdapter`` against a loopback server that fails as RELIABILITY.md says Gemini does; the
key never in a message, a URL or a log line."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmport.adapters.gemini import GeminiAdapter
from llmport.domain.errors import (
    ContextLengthExceededError,
    LlmError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    StreamInBandError,
    StreamTruncatedError,
)
from llmport.domain.events import Done, LlmStreamEvent, TextDelta
from llmport.domain.messages import UserMessage
from llmport.testing import check_port
from tests.support.fake_server import FakeServer, Reply

pytestmark = pytest.mark.usefixtures("transport")  # every test on every transport

KEY = "AIzaSENTINEL-gemini-0123456789"
SSE = {"content-type": "text/event-stream"}
ARRAY = {"content-type": "application/json"}


def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 3,
            "candidatesTokenCount": 2}}  # fmt: skip


def sse(*items: dict[str, Any]) -> list[bytes]:
    return [f"data: {json.dumps(i)}\r\n\r\n".encode() for i in items]


def error_body(code: int, status: str, message: str, details: list[Any] | None = None) -> bytes:
    error = {"code": code, "status": status, "message": message, "details": details or []}
    return json.dumps({"error": error}).encode()


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


async def run(server: FakeServer, **options: Any) -> tuple[list[LlmStreamEvent], LlmError | None]:
    """One turn through the conformance kit's ``check_port`` (which also holds the stream to the
    contract): the events with the ``Done`` last, or the error."""
    async with GeminiAdapter(
        "gemini-2.5-flash", base_url=server.url, api_key=KEY, **options
    ) as port:
        outcome = await check_port(port, [UserMessage("hi")])
    events = [*outcome.events, *([outcome.done] if outcome.done is not None else [])]
    if outcome.error is not None:
        assert KEY not in str(outcome.error) and KEY not in repr(outcome.error)
    return events, outcome.error


async def test_the_key_is_a_header_never_in_the_url_nor_a_log_line(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.add(Reply(headers=SSE, body=sse(chunk("Hel"), chunk("lo", "STOP"))))
    out, error = await run(server)
    assert error is None and isinstance(out[-1], Done) and out[-1].message.text == "Hello"
    request = server.requests[0]
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert KEY not in request.path
    assert {k.lower(): v for k, v in request.headers.items()}["x-goog-api-key"] == KEY
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_the_json_array_framing_when_the_server_ignores_alt_sse(server: FakeServer) -> None:
    body = ("[" + ",\r\n".join(json.dumps(c, indent=2) for c in (chunk("a"), chunk("b", "STOP")))
            + "]").encode()  # fmt: skip
    server.add(Reply(headers=ARRAY, body=[body[:10], body[10:77], body[77:]]))
    out, error = await run(server)
    assert error is None and isinstance(out[-1], Done) and out[-1].message.text == "ab"


async def test_truncated_sse_and_truncated_array_are_typed_errors(server: FakeServer) -> None:
    server.add(Reply(headers=SSE, body=sse(chunk("a"))))
    out, error = await run(server)
    assert isinstance(error, StreamTruncatedError) and out == [TextDelta("a")]
    body = ("[" + json.dumps(chunk("a")) + ",\r\n" + json.dumps(chunk("b", "STOP"))[:30]).encode()
    server.add(Reply(headers=ARRAY, body=[body], end="close", chunked=False))
    out, error = await run(server)
    assert isinstance(error, StreamTruncatedError) and error.after_output


async def test_an_error_object_mid_body(server: FakeServer) -> None:
    error = json.loads(error_body(500, "INTERNAL", "the model failed"))
    server.add(Reply(headers=SSE, body=sse(chunk("a"), error)))
    _, failure = await run(server)
    assert isinstance(failure, StreamInBandError) and failure.after_output
    assert "the model failed" in str(failure)


async def test_429_resource_exhausted_with_retry_after(server: FakeServer) -> None:
    retry = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}]
    body = error_body(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.", retry)
    server.add(Reply(status=429, headers=ARRAY, body=[body]))
    _, error = await run(server, max_retries=0)
    assert isinstance(error, RateLimitError) and error.retry_after == 12
    quota = error_body(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, check billing")
    server.add(Reply(status=429, headers=ARRAY, body=[quota]))
    _, error = await run(server, max_retries=0)
    assert isinstance(error, QuotaExceededError) and error.retryable is False


async def test_400_too_long_input_and_403(server: FakeServer) -> None:
    too_long = "The input token count (2000000) exceeds the maximum number of tokens"
    long = error_body(400, "INVALID_ARGUMENT", too_long)
    server.add(Reply(status=400, headers=ARRAY, body=[long]))
    _, error = await run(server, max_retries=0)
    assert isinstance(error, ContextLengthExceededError)
    denied = error_body(
        403, "PERMISSION_DENIED", f"Method doesn't allow unregistered callers {KEY}"
    )
    server.add(Reply(status=403, headers=ARRAY, body=[denied]))
    _, error = await run(server, max_retries=0)
    assert isinstance(error, PermissionDeniedError) and error.code == "PERMISSION_DENIED"


async def test_a_blocked_prompt_is_done_with_content_filter(server: FakeServer) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 4},
    }
    server.add(Reply(headers=SSE, body=sse(blocked)))
    out, error = await run(server)
    assert error is None
    done = out[-1]
    assert isinstance(done, Done) and done.finish_reason.value == "content_filter"
    assert done.detail == "prompt_blocked:SAFETY"
