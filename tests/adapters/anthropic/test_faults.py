"""Fault cases for the Anthropic adapter on the loopback fake server (real sockets)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest

from llmport.adapters.anthropic import AnthropicAdapter
from llmport.core.retry import RetryPolicy
from llmport.domain.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ErrorCategory,
    LlmConnectionError,
    OverloadedError,
    QuotaExceededError,
    RateLimitError,
    StreamInBandError,
    StreamTruncatedError,
)
from llmport.domain.events import TextDelta
from llmport.domain.messages import UserMessage
from llmport.testing.contract import StreamOutcome, check_port
from tests.support.fake_server import FakeServer, Reply

from .helpers import MESSAGE_STOP, block_start, block_stop, message_delta, message_start
from .helpers import text_delta as text_frame

pytestmark = pytest.mark.usefixtures("transport")  # every test on every transport

KEY = "sk-ant-SENTINEL-fault-0123456789abcdef"
FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.005)
OVERLOADED = (
    "error",
    '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
)


def sse(*frames: tuple[str, str]) -> list[bytes]:
    return [f"event: {event}\ndata: {data}\n\n".encode() for event, data in frames]


def message(*pieces: str) -> list[tuple[str, str]]:
    return [
        message_start(),
        ("ping", '{"type": "ping"}'),
        block_start(0, {"type": "text", "text": ""}),
        *(text_frame(0, p) for p in pieces),
        block_stop(0),
        message_delta("end_turn"),
        MESSAGE_STOP,
    ]


def error_reply(status: int, error_type: str, text: str, **headers: str) -> Reply:
    body = {"type": "error", "error": {"type": error_type, "message": text}, "request_id": "req_9"}
    return Reply(status, {"content-type": "application/json", **headers}, json.dumps(body).encode())


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


async def run(server: FakeServer) -> StreamOutcome:
    """One turn against the server with a fresh adapter (its own client), closed after."""
    outcome, _ = await run_counting(server)
    return outcome


async def run_counting(server: FakeServer) -> tuple[StreamOutcome, int]:
    """``run``, and the retries the adapter made before its stream started."""
    adapter = AnthropicAdapter(
        "claude-test",
        api_key=KEY,
        base_url=server.url,
        retry=FAST,
    )
    async with adapter:
        outcome = await check_port(adapter, [UserMessage("hi")])
        retries = adapter.retries_taken
    await server.wait_all_closed(timeout=1.0)
    assert server.open_connections == 0
    return outcome, retries


def assert_no_key(error: BaseException) -> None:
    seen: BaseException | None = error
    while seen is not None:
        for text in (str(seen), repr(seen)):
            assert KEY not in text
            assert "0123456789abcdef" not in text
        seen = seen.__cause__ or seen.__context__


# --- in-band errors ------------------------------------------------------------------------------


async def test_overloaded_error_event_first_is_retried_then_succeeds(server: FakeServer) -> None:
    server.add(Reply(body=sse(message_start(), OVERLOADED)), Reply(body=sse(*message("fine"))))
    outcome, retries = await run_counting(server)
    assert outcome.error is None
    assert outcome.done is not None and outcome.done.message.text == "fine"
    assert outcome.events == [TextDelta("fine")]
    assert len(server.requests) == 2
    assert retries == 1
    assert server.requests[1].json() == server.requests[0].json()


async def test_overloaded_error_event_every_time_ends_as_in_band_overloaded(
    server: FakeServer,
) -> None:
    server.add(*(Reply(body=sse(OVERLOADED)) for _ in range(3)))
    outcome = await run(server)
    error = outcome.error
    assert isinstance(error, StreamInBandError)
    assert error.in_band_category is ErrorCategory.OVERLOADED
    assert error.after_output is False
    assert error.status_code is None
    assert len(server.requests) == 3  # the first try and two retries


async def test_overloaded_error_event_after_text_is_a_typed_error_after_output(
    server: FakeServer,
) -> None:
    frames = message("Hello", " wor")[:5]  # start, ping, block start, two text deltas
    server.add(Reply(body=sse(*frames, OVERLOADED)), Reply(body=sse(*message("again"))))
    outcome = await run(server)
    assert outcome.done is None
    assert outcome.text == "Hello wor"  # the partial text was delivered
    error = outcome.error
    assert isinstance(error, StreamInBandError)
    assert error.in_band_category is ErrorCategory.OVERLOADED
    assert error.after_output is True
    assert error.status_code != 200 and error.status_code is None
    assert len(server.requests) == 1  # never retried after output


async def test_non_retryable_in_band_error_is_not_retried(server: FakeServer) -> None:
    bad = ("error", '{"type":"error","error":{"type":"invalid_request_error","message":"no"}}')
    server.add(Reply(body=sse(message_start(), bad)))
    outcome = await run(server)
    assert isinstance(outcome.error, StreamInBandError)
    assert outcome.error.in_band_category is ErrorCategory.BAD_REQUEST
    assert len(server.requests) == 1


# --- the body ends early ------------------------------------------------------------------------


async def test_eof_without_message_stop_is_truncated(server: FakeServer) -> None:
    server.add(Reply(body=sse(*message("cut")[:-1])))  # everything but message_stop
    outcome = await run(server)
    assert isinstance(outcome.error, StreamTruncatedError)
    assert outcome.error.after_output is True
    assert outcome.text == "cut"
    assert len(server.requests) == 1


async def test_connection_closed_mid_body_is_truncated_or_a_connection_error(
    server: FakeServer,
) -> None:
    server.add(Reply(body=sse(*message("a", "b")[:4]), end="close"))
    outcome = await run(server)
    assert isinstance(outcome.error, StreamTruncatedError | LlmConnectionError)
    assert outcome.error.after_output is True


async def test_reset_mid_body_is_a_connection_error_after_output(server: FakeServer) -> None:
    server.add(Reply(body=sse(*message("a", "b")[:4]), end="reset"))
    outcome = await run(server)
    assert isinstance(outcome.error, LlmConnectionError)
    assert outcome.error.after_output is True
    assert outcome.text == "a"


# --- HTTP errors ---------------------------------------------------------------------------------


async def test_429_with_retry_after_ms_is_retried(server: FakeServer) -> None:
    server.add(
        error_reply(429, "rate_limit_error", "slow down", **{"retry-after-ms": "30"}),
        Reply(body=sse(*message("ok"))),
    )
    outcome = await run(server)
    assert outcome.done is not None
    assert len(server.requests) == 2


async def test_429_retries_exhausted_carry_retry_after(server: FakeServer) -> None:
    server.add(
        *(
            error_reply(429, "rate_limit_error", "slow down", **{"retry-after": "0"})
            for _ in range(3)
        )
    )
    outcome = await run(server)
    error = outcome.error
    assert isinstance(error, RateLimitError)
    assert (error.status_code, error.retry_after, error.code) == (429, 0.0, "rate_limit_error")
    assert error.request_id == "req_9"
    assert len(server.requests) == 3


async def test_429_retry_after_beyond_the_cap_fails_at_once(server: FakeServer) -> None:
    server.add(error_reply(429, "rate_limit_error", "later", **{"retry-after": "3600"}))
    outcome = await run(server)
    assert isinstance(outcome.error, RateLimitError)
    assert outcome.error.retry_after == 3600
    assert len(server.requests) == 1


async def test_429_spend_limit_is_quota_and_not_retried(server: FakeServer) -> None:
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "usage limits reached",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    server.add(Reply(429, {"content-type": "application/json"}, json.dumps(body).encode()))
    outcome = await run(server)
    assert isinstance(outcome.error, QuotaExceededError)
    assert len(server.requests) == 1


async def test_529_then_200_retries_once(server: FakeServer) -> None:
    server.add(error_reply(529, "overloaded_error", "Overloaded"), Reply(body=sse(*message("y"))))
    outcome, retries = await run_counting(server)
    assert outcome.done is not None
    assert retries == 1


async def test_529_every_time_is_overloaded(server: FakeServer) -> None:
    server.add(*(error_reply(529, "overloaded_error", "Overloaded") for _ in range(3)))
    outcome = await run(server)
    assert isinstance(outcome.error, OverloadedError)
    assert outcome.error.status_code == 529


async def test_401_is_not_retried_and_the_key_is_never_shown(server: FakeServer) -> None:
    server.add(error_reply(401, "authentication_error", f"invalid x-api-key {KEY}"))
    outcome = await run(server)
    error = outcome.error
    assert isinstance(error, AuthenticationError)
    assert error.status_code == 401
    assert len(server.requests) == 1
    assert server.requests[0].headers["x-api-key"] == KEY  # sent, but only in the header
    assert_no_key(error)


async def test_prompt_too_long_is_context_length_and_not_retried(server: FakeServer) -> None:
    server.add(
        error_reply(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000")
    )
    outcome = await run(server)
    assert isinstance(outcome.error, ContextLengthExceededError)
    assert "210000" in str(outcome.error)
    assert len(server.requests) == 1


# --- cancellation ---------------------------------------------------------------------------------


async def test_closing_mid_stream_closes_the_connection(server: FakeServer) -> None:
    server.add(Reply(body=sse(*message("one", "two")[:4]), end="stall"))
    async with AnthropicAdapter("m", api_key=KEY, base_url=server.url, retry=FAST) as adapter:
        stream = await adapter.chat_stream([UserMessage("hi")], [])
        async with stream:
            async for event in stream:
                assert event == TextDelta("one")
                break
        await server.wait_all_closed(timeout=1.0)
    assert server.open_connections == 0


async def test_the_key_never_reaches_debug_logs_errors_or_reprs(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(
        error_reply(401, "authentication_error", f"bad key {KEY}"),
        Reply(body=sse(*message("ok"))),
    )
    caplog.set_level(logging.DEBUG)
    adapter = AnthropicAdapter("m", api_key=KEY, base_url=server.url, retry=FAST)
    async with adapter:
        with pytest.raises(AuthenticationError) as info:
            await adapter.chat_stream([UserMessage("hi")], [])
        outcome = await check_port(adapter, [UserMessage("hi")])
    assert outcome.done is not None
    assert_no_key(info.value)
    for text in (repr(adapter), str(vars(adapter)), caplog.text, repr(outcome.done)):
        assert KEY not in text
        assert "0123456789abcdef" not in text
    assert server.requests[0].headers["x-api-key"] == KEY
