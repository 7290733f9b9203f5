"""``OpenAIChatAdapter`` against a loopback server that fails in every way RELIABILITY.md lists.

Each test asserts the exactly-one-terminal rule and that no connection is left open."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    LlmConnectionError,
    LlmError,
    RateLimitError,
    ServerError,
    StreamTooLargeError,
    TimeoutFirstEventError,
    TimeoutIdleError,
)
from llmport.domain.events import Done, TextDelta
from llmport.domain.messages import UserMessage
from tests.support.fake_server import FakeServer, Reply, sse
from tests.support.transports import in_flight, pool_size, real_client

SENTINEL = "sk-SENTINEL-fault-0123456789"


def text_chunks(n: int, *, done: bool = True) -> list[bytes]:
    items: list[Any] = [
        {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": f"t{i} "}, "finish_reason": None}],
        }
        for i in range(n)
    ]
    if done:
        items.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return sse(*items, done=done)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


@pytest.fixture
async def client(transport: str) -> AsyncIterator[Any]:
    """A client of each transport (httpx2, httpx, aiohttp), as a caller would inject it."""
    async with real_client(transport) as http:
        yield http


def adapter(
    server: FakeServer, client: Any, waits: list[float] | None = None, **options: Any
) -> OpenAIChatAdapter:
    port = OpenAIChatAdapter(
        "m", api_key=SENTINEL, base_url=server.url + "/v1", http_client=client, **options
    )

    async def record(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)

    port.shell.sleep = record
    return port


async def consume(port: OpenAIChatAdapter) -> tuple[list[Any], LlmError | None]:
    events: list[Any] = []
    try:
        stream = await port.chat_stream([UserMessage("hi")], [])
        async with stream:
            async for event in stream:
                events.append(event)
    except LlmError as error:
        return events, error
    return events, None


def assert_one_terminal(events: list[Any], error: LlmError | None) -> None:
    dones = [e for e in events if isinstance(e, Done)]
    if error is None:
        assert len(dones) == 1
        assert isinstance(events[-1], Done)
    else:
        assert dones == []


def assert_clean(error: BaseException | None) -> None:
    while error is not None:
        assert SENTINEL not in str(error)
        assert SENTINEL not in repr(error)
        error = error.__cause__ or error.__context__


async def test_reset_after_n_events(server: FakeServer, client: Any) -> None:
    server.add(Reply(body=text_chunks(10, done=False), end="reset"))
    events, error = await consume(adapter(server, client))
    assert events == [TextDelta(f"t{i} ") for i in range(10)]
    assert isinstance(error, LlmConnectionError)
    assert error.after_output
    assert len(server.requests) == 1
    assert_one_terminal(events, error)
    assert_clean(error)
    assert pool_size(client) == 0


async def test_stall_after_n_events_is_idle_timeout(server: FakeServer, client: Any) -> None:
    server.add(Reply(body=text_chunks(3, done=False), end="stall"))
    events, error = await consume(adapter(server, client, idle_timeout=0.3))
    assert len(events) == 3
    assert isinstance(error, TimeoutIdleError)
    assert error.after_output
    await server.wait_all_closed(1.0)


async def test_never_answering_server_is_first_event_timeout(
    server: FakeServer, client: Any
) -> None:
    server.add(Reply(hang=True))
    events, error = await consume(adapter(server, client, first_event_timeout=0.3))
    assert events == []
    assert isinstance(error, TimeoutFirstEventError)
    assert not error.after_output
    await server.wait_all_closed(1.0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "DATE+5"}, 4.5),
    ],
    ids=["retry-after-ms", "retry-after-seconds", "retry-after-date"],
)
async def test_429_with_each_retry_header(
    server: FakeServer, client: Any, headers: dict[str, str], expected: float
) -> None:
    error_body = b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}'
    if headers.get("retry-after") == "DATE+5":
        headers = {"retry-after": email.utils.formatdate(time.time() + 5, usegmt=True)}
    server.add(*[Reply(429, {"content-type": "application/json", **headers}, error_body)] * 3)
    waits: list[float] = []
    port = adapter(server, client, waits)
    events, error = await consume(port)
    assert isinstance(error, RateLimitError)
    assert events == []
    assert len(server.requests) == 3
    assert port.retries_taken == 2
    assert waits[0] == pytest.approx(expected, abs=1.1)
    assert error.retry_after == pytest.approx(expected, abs=1.1)


async def test_429_retry_after_3600_fails_at_once(server: FakeServer, client: Any) -> None:
    server.add(Reply(429, {"retry-after": "3600"}, b"{}"))
    waits: list[float] = []
    _, error = await consume(adapter(server, client, waits))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3600
    assert waits == []
    assert len(server.requests) == 1


async def test_529_then_200(server: FakeServer, client: Any) -> None:
    server.add(
        Reply(529, {"content-type": "application/json"}, b'{"error": {"message": "overloaded"}}'),
        Reply(body=text_chunks(2)),
    )
    port = adapter(server, client, [])
    events, error = await consume(port)
    assert error is None
    assert events[-1].message.text == "t0 t1 "
    assert port.retries_taken == 1
    assert len(server.requests) == 2
    assert_one_terminal(events, error)


async def test_x_should_retry_both_ways(server: FakeServer, client: Any) -> None:
    server.add(Reply(500, {"x-should-retry": "false"}, b"{}"))
    _, error = await consume(adapter(server, client, []))
    assert isinstance(error, ServerError)
    assert len(server.requests) == 1
    server.add(Reply(400, {"x-should-retry": "true"}, b"{}"), Reply(body=text_chunks(1)))
    events, error = await consume(adapter(server, client, []))
    assert error is None
    assert len(server.requests) == 3


async def test_401_and_400_context_length_are_not_retried(server: FakeServer, client: Any) -> None:
    body = (
        b'{"error": {"message": "Incorrect API key provided: '
        + SENTINEL.encode()
        + b'", "code": "invalid_api_key"}}'
    )
    server.add(Reply(401, {"content-type": "application/json"}, body))
    _, error = await consume(adapter(server, client, []))
    assert isinstance(error, AuthenticationError)
    assert len(server.requests) == 1
    assert_clean(error)
    body = (
        b'{"error": {"message": "maximum context length is 10", "code": "context_length_exceeded"}}'
    )
    server.add(Reply(400, {"content-type": "application/json"}, body))
    _, error = await consume(adapter(server, client, []))
    assert isinstance(error, ContextLengthExceededError)
    assert len(server.requests) == 2
    assert_clean(error)
    assert server.requests[0].headers["authorization"] == f"Bearer {SENTINEL}"
    assert SENTINEL not in server.requests[0].path


async def test_endless_line_is_too_large(server: FakeServer, client: Any) -> None:
    from llmport.core.http import Limits

    server.add(Reply(body=[b"data: {"], end="endless", endless_limit=256 << 20))
    events, error = await consume(adapter(server, client, limits=Limits(max_event_bytes=2 << 20)))
    assert events == []
    assert isinstance(error, StreamTooLargeError)
    assert server.bytes_sent < 64 << 20
    await server.wait_all_closed(1.0)


@pytest.mark.parametrize("how", ["break", "aclose", "cancel"])
async def test_caller_stops_mid_stream(server: FakeServer, client: Any, how: str) -> None:
    server.add(Reply(body=text_chunks(5, done=False), end="stall"))
    port = adapter(server, client)
    stream = await port.chat_stream([UserMessage("hi")], [])
    seen: list[Any] = []
    if how == "break":
        async for event in stream:
            seen.append(event)
            if len(seen) == 3:
                break
        await stream.aclose()  # what `async with` or the async-for owner does
    elif how == "aclose":
        seen.append(await stream.__anext__())
        await stream.aclose()
    else:

        async def reader() -> None:
            async for event in stream:
                seen.append(event)

        task = asyncio.create_task(reader())
        while len(seen) < 5:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    waited = await server.wait_all_closed(1.0)
    assert waited < 1.0
    assert pool_size(client) == 0
    assert all(isinstance(e, TextDelta) for e in seen)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_clean_eof_after_finish_without_done(server: FakeServer, client: Any) -> None:
    body = text_chunks(2, done=False) + sse(
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, done=False
    )
    server.add(Reply(body=body))
    events, error = await consume(adapter(server, client))
    assert error is None
    assert isinstance(events[-1], Done)


async def test_in_band_overloaded_first_is_retried(server: FakeServer, client: Any) -> None:
    overloaded = sse(
        {"error": {"message": "overloaded", "code": "server_is_overloaded"}}, done=False
    )
    server.add(Reply(body=overloaded), Reply(body=text_chunks(1)))
    port = adapter(server, client, [])
    events, error = await consume(port)
    assert error is None
    assert port.retries_taken == 1
    assert isinstance(events[-1], Done)


async def test_in_band_overloaded_after_text_is_not_retried(
    server: FakeServer, client: Any
) -> None:
    body = text_chunks(1, done=False) + sse(
        {"error": {"message": "overloaded", "code": "server_is_overloaded"}}, done=False
    )
    server.add(Reply(body=body), Reply(body=text_chunks(1)))
    events, error = await consume(adapter(server, client, []))
    assert events == [TextDelta("t0 ")]
    assert error is not None
    assert error.after_output
    assert len(server.requests) == 1
    assert error.error_category.value == "overloaded"


async def test_break_without_aclose_releases_the_connection_when_dropped(
    server: FakeServer, client: Any
) -> None:
    # RELIABILITY 32: a consumer that just `break`s and drops the stream (no `async with`)
    # must not leave the connection open, nor trigger "async generator ignored GeneratorExit".
    import gc

    server.add(Reply(body=text_chunks(5, done=False), end="stall"))
    port = adapter(server, client)

    async def read_two() -> int:
        stream = await port.chat_stream([UserMessage("hi")], [])
        seen = 0
        async for _ in stream:
            seen += 1
            if seen == 2:
                break
        return seen

    assert await read_two() == 2
    gc.collect()
    for _ in range(20):  # the finaliser's aclose runs on the loop
        await asyncio.sleep(0.01)
    waited = await server.wait_all_closed(1.0)
    assert waited < 1.0
    assert pool_size(client) == 0


async def test_cancel_during_retry_sleep_is_prompt_and_closes_everything(
    server: FakeServer, client: Any
) -> None:
    # RELIABILITY 33: the caller cancels while the shell sleeps before a retry.
    server.add(Reply(status=529, headers={"retry-after": "30"}), Reply(body=text_chunks(1)))
    port = OpenAIChatAdapter("m", api_key=SENTINEL, base_url=server.url + "/v1", http_client=client)
    task = asyncio.create_task(port.chat_stream([UserMessage("hi")], []))
    while len(server.requests) < 1:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # now in the 30 s retry sleep
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5
    assert len(server.requests) == 1
    # The 529's connection may stay in the pool for reuse, but no request is in flight.
    assert in_flight(client) == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (401, "AuthenticationError"),
        (400, "BadRequestError"),
    ],
)
async def test_a_generic_body_type_does_not_override_the_status(
    server: FakeServer, status: int, expected: str
) -> None:
    body = b'{"error": {"message": "nope", "type": "invalid_request_error", "code": null}}'
    server.add(Reply(status=status, headers={"content-type": "application/json"}, body=[body]))
    async with OpenAIChatAdapter("m", base_url=server.url, max_retries=0) as port:
        with pytest.raises(LlmError) as caught:
            await port.chat_stream([UserMessage("hi")], [])
    assert type(caught.value).__name__ == expected
    assert caught.value.status_code == status


async def test_a_specific_body_type_still_refines_the_status(server: FakeServer) -> None:
    body = (
        b'{"error": {"message": "too long", "type": "invalid_request_error", '
        b'"code": "context_length_exceeded"}}'
    )
    server.add(Reply(status=400, headers={"content-type": "application/json"}, body=[body]))
    async with OpenAIChatAdapter("m", base_url=server.url, max_retries=0) as port:
        with pytest.raises(ContextLengthExceededError):
            await port.chat_stream([UserMessage("hi")], [])
