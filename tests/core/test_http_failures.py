"""The attempt loop's pieces: the retry decision (pure), and each stream's own retry count."""

from __future__ import annotations

import asyncio

import pytest

from llmport import Done, UserMessage
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.http_failures import Failure, retry_wait
from llmport.core.retry import RetryPolicy
from llmport.domain.errors import (
    LlmConnectionError,
    RateLimitError,
    TimeoutFirstEventError,
)
from tests.support.fake_server import FakeServer, Reply, sse

POLICY = RetryPolicy(max_retries=2)


def wait(failure: Failure, taken: int = 0, *, deadline: float | None = None) -> float | None:
    return retry_wait(failure, policy=POLICY, retries_taken=taken, now=100.0, deadline_at=deadline)


def test_the_server_verdict_wins_over_the_error_and_the_budget_bounds_it() -> None:
    limited = RateLimitError("slow", retryable=True)
    assert wait(Failure(limited, verdict=False)) is None
    assert wait(Failure(LlmConnectionError("x", retryable=False), verdict=True)) is not None
    assert wait(Failure(limited)) is not None
    assert wait(Failure(limited), taken=2) is None  # max_retries spent


def test_long_waits_timeouts_and_deadlines_are_not_retried() -> None:
    asked = RateLimitError("slow", retryable=True, retry_after=61.0)
    assert wait(Failure(asked)) is None  # longer than max_retry_after: fail now
    polite = RateLimitError("slow", retryable=True, retry_after=3.0)
    assert wait(Failure(polite)) == 3.0
    assert wait(Failure(polite), deadline=102.0) is None  # would pass the deadline
    assert wait(Failure(TimeoutFirstEventError("late", retryable=True))) is None


@pytest.mark.parametrize("taken", [0, 1])
def test_backoff_without_a_server_wait(taken: int) -> None:
    seconds = wait(Failure(LlmConnectionError("reset")), taken=taken)
    assert seconds is not None and 0.75 * 0.5 * 2**taken <= seconds <= 0.5 * 2**taken


async def test_concurrent_streams_each_report_their_own_retries() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}
    async with FakeServer() as server:
        server.add(
            Reply(status=503, headers={"content-type": "application/json"}, body=[b"{}"]),
            Reply(body=sse(chunk), chunk_delay=0.2),
            Reply(body=sse(chunk)),
        )
        async with OpenAIChatAdapter("m", base_url=server.url) as port:
            port.shell.sleep = lambda seconds: asyncio.sleep(0)  # type: ignore[method-assign]
            first = await port.chat_stream([UserMessage("a")], [])  # 503, then retried
            second = await port.chat_stream([UserMessage("b")], [])  # while the first is open
            assert (first.retries_taken, second.retries_taken) == (1, 0)
            for stream in (first, second):
                async with stream:
                    assert isinstance([e async for e in stream][-1], Done)
            assert (first.retries_taken, second.retries_taken) == (1, 0)


def test_each_fault_kind_is_one_typed_error() -> None:
    from llmport.core.http_failures import transport_error
    from llmport.domain.errors import LlmError, TimeoutConnectError, TimeoutIdleError

    def error(kind: str) -> LlmError:
        return transport_error(
            kind,  # type: ignore[arg-type]
            "SomeError",
            host="api.example:443",
            provider="p",
            connect=2.0,
            during="reading the response",
        )

    connect_timeout = error("connect_timeout")
    assert isinstance(connect_timeout, TimeoutConnectError)
    assert connect_timeout.timeout == 2.0
    assert connect_timeout.retryable
    assert isinstance(error("connect"), LlmConnectionError)
    assert error("connect").retryable
    assert "could not connect to api.example:443 (SomeError)" in str(error("connect"))
    assert isinstance(error("timeout"), TimeoutIdleError)
    assert not error("unreachable").retryable
    assert error("network").retryable
    assert "while reading the response" in str(error("network"))
    assert not error("other").retryable
    assert all(error(k).provider == "p" for k in ("connect", "network", "other"))
