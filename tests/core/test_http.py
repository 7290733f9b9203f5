"""The HTTP shell: retries, timeouts, limits, error mapping, secrets, cancellation."""

from __future__ import annotations

import asyncio
import email.utils
import gc
import json
import logging
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llmport.adapters.anthropic.errors import map_http_error
from llmport.adapters.openai_compat import openai_error_mapper
from llmport.core.errors_map import HttpErrorInfo, error_for_status
from llmport.core.guard import guard
from llmport.core.http import HttpShell, Limits, Timeouts
from llmport.core.raw import ProviderBlock, RawEvent
from llmport.core.retry import RetryPolicy, parse_retry_after
from llmport.core.secrets import Secret
from llmport.domain.errors import (
    AuthenticationError,
    BadRequestError,
    ErrorCategory,
    LlmConnectionError,
    LlmError,
    OverloadedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamInBandError,
    StreamProtocolError,
    StreamTooLargeError,
    StreamTruncatedError,
    TimeoutDeadlineError,
    TimeoutFirstEventError,
    TimeoutIdleError,
)
from llmport.domain.events import Done, TextDelta
from tests.support.decoders import TinyDecoder, chunks
from tests.support.fake_server import FakeServer, Reply
from tests.support.transports import pool_size, real_client

SENTINEL = "sk-SENTINEL-0123456789abcdef"


def make_shell(
    client: httpx.AsyncClient | None = None, *, waits: list[float] | None = None, **kwargs: Any
) -> HttpShell:
    shell = HttpShell(
        provider="test",
        http_client=client,
        secret_headers={"authorization": Secret(f"Bearer {SENTINEL}")},
        **kwargs,
    )

    async def fake_sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)

    shell.sleep = fake_sleep
    return shell


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def scripted(
    *responses: httpx.Response,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return handler, seen


def ok(*items: str | dict[str, object], done: bool = True) -> httpx.Response:
    return httpx.Response(200, content=b"".join(chunks(*items, done=done)))


async def run(shell: HttpShell, url: str = "http://test/v1/x") -> tuple[list[Any], LlmError | None]:
    events: list[Any] = []
    try:
        source = await shell.stream(url=url, body=b"{}", decoder_factory=TinyDecoder)
        async with guard(source, provider="test") as stream:
            async for event in stream:
                events.append(event)
    except LlmError as error:
        return events, error
    return events, None


def assert_no_secret(error: BaseException) -> None:
    seen: BaseException | None = error
    while seen is not None:
        assert SENTINEL not in str(seen)
        assert SENTINEL not in repr(seen)
        assert "0123456789abcdef" not in str(seen)
        seen = seen.__cause__ or seen.__context__


# --- success and request shape -------------------------------------------------------------------


async def test_stream_events_and_request_headers() -> None:
    handler, seen = scripted(ok({"t": "Hel"}, {"t": "lo"}, {"u": 3}))
    shell = make_shell(mock_client(handler), headers={"x-extra": "1"})
    events, error = await run(shell)
    assert error is None
    assert events[:2] == [TextDelta("Hel"), TextDelta("lo")]
    assert isinstance(events[2], Done)
    assert events[2].message.text == "Hello"
    assert events[2].usage is not None
    assert events[2].usage.output_tokens == 3
    request = seen[0]
    assert request.headers["authorization"] == f"Bearer {SENTINEL}"
    assert request.headers["x-extra"] == "1"
    assert request.headers["accept"] == "text/event-stream"
    assert SENTINEL not in str(request.url)
    assert shell.retries_taken == 0
    assert SENTINEL not in repr(shell)
    assert "***" in repr(shell)


async def test_truncated_body_is_a_truncated_error() -> None:
    handler, _ = scripted(ok({"t": "a"}, done=False))
    events, error = await run(make_shell(mock_client(handler)))
    assert events == [TextDelta("a")]
    assert isinstance(error, StreamTruncatedError)
    assert error.after_output


async def test_bad_json_is_a_protocol_error() -> None:
    handler, _ = scripted(ok("{not json"))
    _, error = await run(make_shell(mock_client(handler)))
    assert isinstance(error, StreamProtocolError)


# --- HTTP retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ],
)
async def test_429_honours_retry_headers(headers: dict[str, str], expected: float) -> None:
    waits: list[float] = []
    handler, seen = scripted(httpx.Response(429, headers=headers), ok({"t": "x"}))
    shell = make_shell(mock_client(handler), waits=waits)
    events, error = await run(shell)
    assert error is None
    assert isinstance(events[-1], Done)
    assert waits == [pytest.approx(expected)]
    assert len(seen) == 2
    assert shell.retries_taken == 1


async def test_429_retry_after_http_date() -> None:
    waits: list[float] = []
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    handler, _ = scripted(httpx.Response(429, headers={"retry-after": when}), ok({"t": "x"}))
    _, error = await run(make_shell(mock_client(handler), waits=waits))
    assert error is None
    assert 3.0 <= waits[0] <= 5.0


async def test_retry_after_over_the_cap_fails_at_once_with_retry_after() -> None:
    waits: list[float] = []
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "3600"}))
    _, error = await run(make_shell(mock_client(handler), waits=waits))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3600
    assert error.status_code == 429
    assert len(seen) == 1
    assert waits == []


async def test_retries_exhausted_raise_the_last_error() -> None:
    waits: list[float] = []
    handler, seen = scripted(*[httpx.Response(429, headers={"retry-after": "1"})] * 3)
    shell = make_shell(mock_client(handler), waits=waits)
    _, error = await run(shell)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 1
    assert len(seen) == 3
    assert waits == [1, 1]
    assert shell.retries_taken == 2


async def test_backoff_without_headers_follows_the_formula() -> None:
    waits: list[float] = []
    handler, _ = scripted(*[httpx.Response(500)] * 3)
    _, error = await run(make_shell(mock_client(handler), waits=waits))
    assert isinstance(error, ServerError)
    assert 0.375 <= waits[0] <= 0.5
    assert 0.75 <= waits[1] <= 1.0
    policy = RetryPolicy()
    assert policy.backoff(10, rand=lambda: 0.0) == 8.0
    assert policy.backoff(10, rand=lambda: 1.0) == 6.0


async def test_529_then_200_retries_once() -> None:
    handler, seen = scripted(httpx.Response(529), ok({"t": "x"}))
    shell = make_shell(mock_client(handler), waits=[])
    events, error = await run(shell)
    assert error is None
    assert events[0] == TextDelta("x")
    assert len(seen) == 2
    assert shell.retries_taken == 1


async def test_retries_taken_is_that_of_the_last_call_even_when_it_failed_at_once() -> None:
    handler, _ = scripted(httpx.Response(529), ok({"t": "x"}), httpx.Response(401))
    shell = make_shell(mock_client(handler), waits=[])
    await run(shell)
    assert shell.retries_taken == 1
    _, error = await run(shell)
    assert isinstance(error, AuthenticationError)
    assert shell.retries_taken == 0  # was still 1, the previous call's count


async def test_x_should_retry_false_on_500_and_true_on_400() -> None:
    handler, seen = scripted(httpx.Response(500, headers={"x-should-retry": "false"}))
    _, error = await run(make_shell(mock_client(handler), waits=[]))
    assert isinstance(error, ServerError)
    assert len(seen) == 1
    handler, seen = scripted(
        httpx.Response(400, headers={"x-should-retry": "true"}), ok({"t": "x"})
    )
    _, error = await run(make_shell(mock_client(handler), waits=[]))
    assert error is None
    assert len(seen) == 2


async def test_non_retryable_mapped_error_is_not_retried() -> None:
    def mapper(info: HttpErrorInfo) -> LlmError:
        return error_for_status(
            info.status_code, provider=info.provider, category=ErrorCategory.QUOTA
        )

    handler, seen = scripted(httpx.Response(429))
    _, error = await run(make_shell(mock_client(handler), waits=[], error_mapper=mapper))
    assert isinstance(error, QuotaExceededError)
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("mapper", "body"),
    [
        (
            openai_error_mapper,
            {"error": {"type": "insufficient_quota", "code": "insufficient_quota"}},
        ),
        (
            map_http_error,
            {
                "type": "error",
                "error": {
                    "type": "rate_limit_error",
                    "message": "spend limit reached",
                    "details": {"error_code": "enforced_spend_limit_reached"},
                },
            },
        ),
    ],
)
async def test_quota_is_never_retried_even_when_the_server_says_retry(
    mapper: Callable[[HttpErrorInfo], LlmError], body: dict[str, Any]
) -> None:
    # RELIABILITY 13: one request. A generic x-should-retry: true on the 429 retried it anyway.
    response = httpx.Response(429, json=body, headers={"x-should-retry": "true"})
    handler, seen = scripted(response, response, response)
    _, error = await run(make_shell(mock_client(handler), waits=[], error_mapper=mapper))
    assert isinstance(error, QuotaExceededError)
    assert len(seen) == 1


async def test_401_is_not_retried_and_never_shows_the_key() -> None:
    body = b'{"error": {"message": "Incorrect API key provided: ' + SENTINEL.encode() + b'"}}'
    handler, seen = scripted(httpx.Response(401, content=body, headers={"x-request-id": "req_1"}))
    _, error = await run(make_shell(mock_client(handler), waits=[]))
    assert isinstance(error, AuthenticationError)
    assert len(seen) == 1
    assert error.request_id == "req_1"
    assert error.status_code == 401
    assert "Incorrect API key" in str(error)
    assert_no_secret(error)


@pytest.mark.parametrize(
    "bad",
    [
        f"{SENTINEL}\n",
        f"{SENTINEL} ",
        f"{SENTINEL}\x00",
        f"{SENTINEL}\r\nx-evil: 1",
        f"{SENTINEL}\u200b",
    ],
)
async def test_a_key_that_is_no_valid_header_value_is_refused_without_showing_it(
    bad: str,
) -> None:
    # A key read from a file keeps its newline; h11 then refused the header with a message that
    # quoted the key (in the error's __cause__ chain), and a non-ASCII character escaped from
    # chat_stream as a bare UnicodeEncodeError whose repr held the key. Refused when built now.
    with pytest.raises(ValueError, match="authorization") as caught:
        HttpShell(provider="x", secret_headers={"authorization": Secret(f"Bearer {bad}")})
    assert_no_secret(caught.value)
    with pytest.raises(ValueError, match="x-custom"):
        HttpShell(provider="x", headers={"x-custom": bad})


async def test_a_credential_passed_as_a_plain_header_is_kept_secret() -> None:
    # Azure OpenAI: extra_headers={"api-key": key}. It was a plain header: an error body that
    # echoed it was not scrubbed, nor a log line that showed it.
    body = b'{"error": {"message": "Access denied: invalid key ' + SENTINEL.encode() + b'"}}'
    handler, seen = scripted(httpx.Response(401, content=body))
    shell = HttpShell(
        provider="azure", http_client=mock_client(handler), headers={"Api-Key": SENTINEL}
    )
    _, error = await run(shell)
    assert isinstance(error, AuthenticationError)
    assert seen[0].headers["api-key"] == SENTINEL
    assert_no_secret(error)
    assert SENTINEL not in repr(shell)


async def test_redirect_is_not_followed() -> None:
    handler, seen = scripted(httpx.Response(302, headers={"location": "http://evil.example/x"}))
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
    _, error = await run(make_shell(client, waits=[]))
    assert isinstance(error, BadRequestError)
    assert error.status_code == 302
    assert len(seen) == 1


async def test_error_body_read_is_bounded() -> None:
    handler, _ = scripted(httpx.Response(400, content=b"x" * 10_000_000))
    captured: list[HttpErrorInfo] = []

    def mapper(info: HttpErrorInfo) -> LlmError:
        captured.append(info)
        return error_for_status(info.status_code, provider=info.provider)

    shell = make_shell(
        mock_client(handler), error_mapper=mapper, limits=Limits(max_error_body_bytes=1000)
    )
    await run(shell)
    assert len(captured[0].body) == 1000


def test_parse_retry_after_edge_cases() -> None:
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "garbage"}) is None
    assert parse_retry_after({"retry-after": "-1"}) is None
    assert parse_retry_after({"retry-after-ms": "x", "retry-after": "3"}) == 3.0
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0


# --- in-band retries -----------------------------------------------------------------------------


async def test_retryable_in_band_error_before_any_delta_is_retried() -> None:
    overloaded = {"error": {"message": "overloaded", "retryable": True}}
    handler, seen = scripted(ok(overloaded, done=False), ok({"t": "fine"}))
    shell = make_shell(mock_client(handler), waits=[])
    events, error = await run(shell)
    assert error is None
    assert events[0] == TextDelta("fine")
    assert len(seen) == 2
    assert shell.retries_taken == 1


async def test_in_band_error_after_a_delta_is_never_retried() -> None:
    overloaded = {"error": {"message": "overloaded", "retryable": True}}
    handler, seen = scripted(ok({"t": "partial"}, overloaded, done=False), ok({"t": "x"}))
    events, error = await run(make_shell(mock_client(handler), waits=[]))
    assert events == [TextDelta("partial")]
    assert isinstance(error, StreamInBandError)
    assert error.after_output
    assert len(seen) == 1


async def test_in_band_retries_share_the_budget() -> None:
    overloaded = {"error": {"message": "overloaded", "retryable": True}}
    handler, seen = scripted(*[ok(overloaded, done=False) for _ in range(3)])
    shell = make_shell(mock_client(handler), waits=[])
    events, error = await run(shell)
    assert events == []
    assert isinstance(error, StreamInBandError)
    assert error.error_category is ErrorCategory.OVERLOADED
    assert len(seen) == 3
    assert shell.retries_taken == 2


class BlockDecoder(TinyDecoder):
    """TinyDecoder plus ``{"b": {...}}``: a provider-side block (e.g. Anthropic server_tool_use)."""

    def feed(self, event: str, data: str) -> list[RawEvent]:
        if data.startswith('{"b"'):
            return [ProviderBlock(json.loads(data)["b"])]
        return super().feed(event, data)


async def test_no_in_band_retry_after_a_provider_block() -> None:
    # A server-side tool ran (and was billed) and its block went to the guard's assembler: a
    # retry would run it again and put the block twice on the assembled message.
    overloaded = {"error": {"message": "overloaded", "retryable": True}}
    block = {"b": {"type": "server_tool_use", "id": "srvtoolu_1"}}
    handler, seen = scripted(ok(block, overloaded, done=False), ok(block, {"t": "fine"}))
    shell = make_shell(mock_client(handler), waits=[])
    source = await shell.stream(url="http://test/v1/x", body=b"{}", decoder_factory=BlockDecoder)
    events: list[Any] = []
    with pytest.raises(StreamInBandError):
        async with guard(source, provider="test") as stream:
            async for event in stream:
                events.append(event)
    assert events == []
    assert len(seen) == 1


# --- socket-level faults (loopback server) -------------------------------------------------------


async def run_server(shell: HttpShell, server: FakeServer) -> tuple[list[Any], LlmError | None]:
    return await run(shell, server.url + "/v1/x")


async def test_reset_after_n_events_is_a_connection_error_after_output(transport: str) -> None:
    async with FakeServer(
        [Reply(body=chunks(*({"t": str(i)} for i in range(5)), done=False), end="reset")]
    ) as server:
        async with real_client(transport) as client:
            events, error = await run_server(make_shell(client, waits=[]), server)
            assert events == [TextDelta(str(i)) for i in range(5)]
            assert isinstance(error, LlmConnectionError)
            assert error.after_output
            assert len(server.requests) == 1
            assert_no_secret(error)


async def test_reset_before_any_event_is_retried(transport: str) -> None:
    async with FakeServer(
        [Reply(body=b"", end="reset"), Reply(body=chunks({"t": "ok"}))]
    ) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, waits=[])
            events, error = await run_server(shell, server)
            assert error is None
            assert events[0] == TextDelta("ok")
            assert shell.retries_taken == 1


async def test_connection_refused_is_a_connection_error(transport: str) -> None:
    async with FakeServer() as server:
        url = server.url
    async with real_client(transport) as client:
        waits: list[float] = []
        _, error = await run(make_shell(client, waits=waits), url + "/v1/x")
    assert isinstance(error, LlmConnectionError)
    assert not error.after_output
    assert len(waits) == 2
    assert_no_secret(error)


async def test_stall_after_events_is_an_idle_timeout(transport: str) -> None:
    async with FakeServer(
        [Reply(body=chunks({"t": "a"}, {"t": "b"}, done=False), end="stall")]
    ) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(idle=0.3))
            start = time.monotonic()
            events, error = await run_server(shell, server)
            assert events == [TextDelta("a"), TextDelta("b")]
            assert isinstance(error, TimeoutIdleError)
            assert error.after_output
            assert 0.25 <= time.monotonic() - start < 3
            await server.wait_all_closed(1.0)


async def test_pings_and_comments_keep_the_stream_alive(transport: str) -> None:
    body = [chunks({"t": "a"}, done=False)[0]] + [b": ping\n\n"] * 8 + chunks({"t": "b"})
    async with FakeServer([Reply(body=body, chunk_delay=0.1)]) as server:
        async with real_client(transport) as client:
            events, error = await run_server(
                make_shell(client, timeouts=Timeouts(idle=0.3)), server
            )
    assert error is None
    assert isinstance(events[-1], Done)
    assert events[-1].message.text == "ab"


async def test_server_that_never_answers_is_a_first_event_timeout(transport: str) -> None:
    async with FakeServer([Reply(hang=True)]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(first_event=0.3), waits=[])
            events, error = await run_server(shell, server)
            assert events == []
            assert isinstance(error, TimeoutFirstEventError)
            assert len(server.requests) == 1  # not retried
            await server.wait_all_closed(1.0)


async def test_headers_then_silence_is_a_first_event_timeout(transport: str) -> None:
    async with FakeServer([Reply(body=[b": processing\n\n"], end="stall")]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(first_event=0.3, idle=100))
            _, error = await run_server(shell, server)
            assert isinstance(error, TimeoutFirstEventError)


async def test_trickle_is_stopped_by_the_deadline(transport: str) -> None:
    body = [b": keep-alive\n\n"] * 100
    async with FakeServer(
        [Reply(body=[chunks({"t": "a"}, done=False)[0], *body], chunk_delay=0.05)]
    ) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(idle=0.2, deadline=0.6))
            start = time.monotonic()
            events, error = await run_server(shell, server)
            assert events == [TextDelta("a")]
            assert isinstance(error, TimeoutDeadlineError)
            assert not error.retryable
            assert 0.5 <= time.monotonic() - start < 3


async def test_the_deadline_bounds_reading_an_error_body_that_stalls(transport: str) -> None:
    # The error body was read for min(idle, 30 s) whatever the deadline: 30 s for a 1 s deadline.
    stalled = Reply(500, {"content-type": "application/json"}, body=[b'{"error":'], end="stall")
    async with FakeServer([stalled, stalled, stalled]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(deadline=0.5))
            start = time.monotonic()
            events, error = await run_server(shell, server)
            assert time.monotonic() - start < 3
            assert events == []
            assert isinstance(error, ServerError)
            assert error.status_code == 500
            assert len(server.requests) == 1


async def test_endless_line_is_too_large_with_bounded_memory(transport: str) -> None:
    limit = 1 << 20
    reply = Reply(
        body=[b"data: "], end="endless", endless_chunk=b"x" * 65536, endless_limit=64 << 20
    )
    async with FakeServer([reply]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, limits=Limits(max_event_bytes=limit))
            gc.collect()
            tracemalloc.start()
            try:
                _, error = await run_server(shell, server)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert isinstance(error, StreamTooLargeError)
            assert peak < 8 * limit
            assert server.bytes_sent < 32 * limit
            await server.wait_all_closed(1.0)


async def test_stream_size_limit() -> None:
    body = chunks(*({"t": "x" * 100} for _ in range(100)))
    handler, _ = scripted(httpx.Response(200, content=b"".join(body)))
    shell = make_shell(mock_client(handler), limits=Limits(max_stream_bytes=5000))
    _, error = await run(shell)
    assert isinstance(error, StreamTooLargeError)


@pytest.mark.parametrize("how", ["break", "aclose", "cancel"])
async def test_cancel_mid_stream_closes_the_connection(how: str, transport: str) -> None:
    body = chunks(*({"t": str(i)} for i in range(3)), done=False)
    async with FakeServer([Reply(body=body, end="stall")]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client)
            source = await shell.stream(
                url=server.url + "/v1/x", body=b"{}", decoder_factory=TinyDecoder
            )
            stream = guard(source, provider="test")
            seen: list[Any] = []
            if how == "break":
                async with stream:
                    async for event in stream:
                        seen.append(event)
                        if len(seen) == 2:
                            break
            elif how == "aclose":
                seen.append(await stream.__anext__())
                await stream.aclose()
            else:

                async def consume() -> None:
                    async for event in stream:
                        seen.append(event)

                task = asyncio.create_task(consume())
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            await server.wait_all_closed(1.0)
            assert pool_size(client) == 0
            assert seen
            assert all(isinstance(e, TextDelta) for e in seen)
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()


async def test_keep_alive_connection_is_reused_after_a_complete_stream(transport: str) -> None:
    async with FakeServer(
        [Reply(body=chunks({"t": "a"})), Reply(body=chunks({"t": "b"}))]
    ) as server:
        async with real_client(transport) as client:
            shell = make_shell(client)
            for expected in ("a", "b"):
                events, error = await run_server(shell, server)
                assert error is None
                assert events[0] == TextDelta(expected)
            assert len(server.connections) == 1


async def test_logs_never_contain_the_key(caplog: pytest.LogCaptureFixture, transport: str) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeServer(
        [
            Reply(
                401,
                {"content-type": "application/json"},
                b'{"error":{"message":"bad key ' + SENTINEL.encode() + b'"}}',
            )
        ]
    ) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, waits=[])
            _, error = await run_server(shell, server)
            for name in ("llmport.http", "httpx", "httpcore.http11"):
                logging.getLogger(name).debug("headers %s", {"Authorization": f"Bearer {SENTINEL}"})
    assert isinstance(error, AuthenticationError)
    assert caplog.records
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()


def test_secret_masks_itself() -> None:
    import pickle

    secret = Secret(SENTINEL)
    assert SENTINEL not in repr(secret) + str(secret) + f"{secret}"
    assert secret.reveal() == SENTINEL
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        HttpShell(provider="x", secret_headers={"x-api-key": SENTINEL})  # type: ignore[dict-item]


async def test_owned_client_is_created_lazily_and_closed() -> None:
    shell = HttpShell(provider="x", transport="httpx2")
    assert shell.transport._client is None  # type: ignore[attr-defined]
    client = shell.client
    assert type(client).__module__.startswith("httpx2")
    assert not client.follow_redirects
    await shell.aclose()
    assert client.is_closed


async def test_overloaded_503_maps_to_overloaded() -> None:
    handler, _ = scripted(*[httpx.Response(503)] * 3)
    _, error = await run(make_shell(mock_client(handler), waits=[]))
    assert isinstance(error, OverloadedError)
    assert error.retryable


async def test_a_slow_consumer_is_not_an_idle_timeout(transport: str) -> None:
    async with FakeServer([Reply(body=chunks({"t": "a"}, {"t": "b"}, {"t": "c"}))]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(idle=0.2, first_event=0.5))
            source = await shell.stream(
                url=server.url + "/v1/x", body=b"{}", decoder_factory=TinyDecoder
            )
            events = []
            async with guard(source, provider="test") as stream:
                async for event in stream:
                    events.append(event)
                    await asyncio.sleep(0.35)  # longer than idle and first_event
    assert isinstance(events[-1], Done)
    assert events[-1].message.text == "abc"


async def test_timeout_does_not_leak_a_cancellation_into_the_caller(transport: str) -> None:
    async with FakeServer([Reply(body=chunks({"t": "a"}, done=False), end="stall")]) as server:
        async with real_client(transport) as client:
            shell = make_shell(client, timeouts=Timeouts(idle=0.2))
            _, error = await run_server(shell, server)
            assert isinstance(error, TimeoutIdleError)
            task = asyncio.current_task()
            assert task is not None
            assert task.cancelling() == 0
            await asyncio.sleep(0.01)  # still runnable: no pending cancellation
