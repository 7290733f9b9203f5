"""The transport seam: choosing a transport, and each one's errors, bodies and client lifecycle.

Behaviour under faults (resets, stalls, timeouts, limits, retries, cancellation, redaction) is
the fault suite's, run on every transport (``tests/core/test_http.py``, the adapters' fault
tests, the conformance kit); here is what belongs to the seam itself.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.guard import guard
from llmport.core.http import HttpShell, Timeouts
from llmport.core.transport import FaultKind, Transport, make_transport
from llmport.domain.errors import (
    AuthenticationError,
    BadRequestError,
    LlmConnectionError,
    LlmError,
    StreamProtocolError,
    TimeoutConnectError,
)
from llmport.domain.events import Done, TextDelta
from llmport.domain.messages import UserMessage
from tests.support.decoders import TinyDecoder, chunks
from tests.support.fake_server import FakeServer, Reply
from tests.support.transports import real_client

SENTINEL = "sk-SENTINEL-transport-0123456789"
HI = [UserMessage("hi")]
TEXT = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}


async def consume(port: OpenAIChatAdapter) -> tuple[list[Any], LlmError | None]:
    events: list[Any] = []
    try:
        stream = await port.chat_stream(HI, [])
        async with stream:
            events.extend([event async for event in stream])
    except LlmError as error:
        return events, error
    return events, None


# --- choosing a transport ------------------------------------------------------------------------


def test_the_default_is_httpx2_and_the_variable_or_the_keyword_picks_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LLMPORT_TRANSPORT", raising=False)
    assert HttpShell(provider="x").transport.name == "httpx2"
    monkeypatch.setenv("LLMPORT_TRANSPORT", "aiohttp")
    assert HttpShell(provider="x").transport.name == "aiohttp"
    assert HttpShell(provider="x", transport="httpx").transport.name == "httpx"
    port = OpenAIChatAdapter("m", api_key="k", transport="httpx2")
    assert port.shell.transport.name == "httpx2"


@pytest.mark.parametrize("library", ["httpx2", "httpx"])
async def test_an_injected_httpx_client_of_either_library_is_wrapped(library: str) -> None:
    lib = importlib.import_module(library)
    async with lib.AsyncClient() as client:
        shell = HttpShell(provider="x", http_client=client)
        assert shell.transport.name == library
        assert shell.client is client
        await shell.aclose()
        assert not client.is_closed  # the caller's to close


async def test_an_injected_aiohttp_session_and_a_subclass_are_wrapped() -> None:
    import aiohttp

    with pytest.warns(DeprecationWarning, match="Inheritance"):  # aiohttp discourages it

        class Session(aiohttp.ClientSession):
            pass

    for cls in (aiohttp.ClientSession, Session):
        async with cls() as session:
            shell = HttpShell(provider="x", http_client=session)
            assert shell.transport.name == "aiohttp"
            await shell.aclose()
            assert not session.closed


def test_a_client_of_no_known_library_or_a_bad_name_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="http_client must be an httpx2.AsyncClient"):
        HttpShell(provider="x", http_client=object())
    with pytest.raises(ValueError, match="unknown transport 'curl'"):
        HttpShell(provider="x", transport="curl")
    with pytest.raises(TypeError, match="transport must be a name"):
        HttpShell(provider="x", transport=3)  # type: ignore[arg-type]


async def test_a_name_that_contradicts_the_injected_client_is_refused() -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="does not match the httpx client"):
            HttpShell(provider="x", http_client=client, transport="aiohttp")


@pytest.mark.usefixtures("transport")
async def test_the_owned_client_is_created_on_first_use_and_closed(transport: str) -> None:
    async with FakeServer([Reply(body=chunks({"t": "a"}))]) as server:
        shell = HttpShell(provider="x")
        assert shell.transport._client is None  # type: ignore[attr-defined]
        source = await shell.stream(url=server.url + "/x", body=b"{}", decoder_factory=TinyDecoder)
        items = [item async for item in source]
        client = shell.client
        assert type(client).__module__.partition(".")[0] == transport
        assert items
        await shell.aclose()
        assert client.closed if transport == "aiohttp" else client.is_closed
        assert shell.transport._client is None  # type: ignore[attr-defined]


def test_importing_the_shell_and_the_adapters_loads_no_transport() -> None:
    code = textwrap.dedent(
        """
        import sys
        import llmport.core.http, llmport.adapters.openai_chat, llmport.adapters.anthropic
        libraries = ("httpx", "httpx2", "httpcore", "httpcore2", "aiohttp")
        print(",".join(m for m in libraries if m in sys.modules), end=";")
        from llmport.adapters.openai_chat import OpenAIChatAdapter
        OpenAIChatAdapter("m", api_key="k", transport="aiohttp")
        print(",".join(m for m in libraries if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ";aiohttp"


# --- each transport's exceptions, sorted ---------------------------------------------------------


@pytest.mark.parametrize("library", ["httpx2", "httpx"])
def test_httpx_exceptions_are_sorted_by_kind(library: str) -> None:
    lib = importlib.import_module(library)
    transport = make_transport(library, connect_timeout=1.0)
    expected: dict[FaultKind, list[BaseException]] = {
        "connect_timeout": [lib.ConnectTimeout("t"), lib.PoolTimeout("t")],
        "connect": [lib.ConnectError("refused")],
        "timeout": [lib.ReadTimeout("t"), lib.WriteTimeout("t")],
        "unreachable": [lib.UnsupportedProtocol("ftp"), lib.ProxyError("p")],
        "network": [lib.ReadError("r"), lib.RemoteProtocolError("closed"), lib.WriteError("w")],
        "other": [lib.DecodingError("d"), lib.TooManyRedirects("r")],
    }
    for kind, errors in expected.items():
        for error in errors:
            assert isinstance(error, transport.errors)
            assert transport.classify(error) == kind, error


def test_aiohttp_exceptions_are_sorted_by_kind() -> None:
    import aiohttp

    transport = make_transport("aiohttp", connect_timeout=1.0)
    expected: dict[FaultKind, list[BaseException]] = {
        "connect_timeout": [aiohttp.ConnectionTimeoutError()],
        "unreachable": [aiohttp.InvalidURL("x"), aiohttp.NonHttpUrlClientError("ftp://x")],
        "timeout": [aiohttp.SocketTimeoutError(), aiohttp.ServerTimeoutError()],
        "network": [
            aiohttp.ServerDisconnectedError(),
            aiohttp.ClientPayloadError("cut"),
            aiohttp.ClientConnectionResetError(),
            aiohttp.ClientOSError(),
        ],
        "other": [aiohttp.ClientError()],
    }
    for kind, errors in expected.items():
        for error in errors:
            assert isinstance(error, transport.errors)
            assert transport.classify(error) == kind, error


# --- the same typed errors on every transport, from a real socket --------------------------------


async def test_a_refused_connection_is_a_retryable_connection_error(transport: str) -> None:
    async with FakeServer() as server:
        url = server.url
    async with real_client(transport) as client:
        port = OpenAIChatAdapter("m", api_key=SENTINEL, base_url=url, http_client=client)
        port.shell.sleep = lambda _: asyncio.sleep(0)
        _, error = await consume(port)
    assert isinstance(error, LlmConnectionError)
    assert error.retryable
    assert "could not connect to 127.0.0.1" in str(error)
    assert SENTINEL not in repr(error)


async def test_a_full_pool_is_a_connect_timeout(transport: str) -> None:
    # One connection allowed; the first stream holds it (stalled), the second waits for it.
    if transport == "aiohttp":
        import aiohttp

        client: Any = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    else:
        lib = importlib.import_module(transport)
        client = lib.AsyncClient(limits=lib.Limits(max_connections=1))
    stalled = Reply(body=chunks({"t": "a"}, done=False), end="stall")
    async with FakeServer([stalled]) as server:
        port = OpenAIChatAdapter(
            "m", base_url=server.url, http_client=client, connect_timeout=0.3, max_retries=0
        )
        first = await port.chat_stream(HI, [])
        with pytest.raises(TimeoutConnectError) as caught:
            await port.chat_stream(HI, [])
        await first.aclose()
        await client.close() if transport == "aiohttp" else await client.aclose()
    assert caught.value.timeout == 0.3


async def test_a_redirect_is_never_followed(transport: str) -> None:
    redirect = Reply(302, {"location": "/elsewhere", "content-length": "0"}, chunked=False)
    async with FakeServer([redirect, Reply(body=chunks({"t": "a"}))]) as server:
        async with real_client(transport) as client:
            shell = HttpShell(provider="x", http_client=client)
            with pytest.raises(BadRequestError) as caught:
                await shell.stream(url=server.url + "/x", body=b"{}", decoder_factory=TinyDecoder)
        assert len(server.requests) == 1
    assert caught.value.status_code == 302


async def test_a_gzip_error_body_is_read_and_mapped(transport: str) -> None:
    body = gzip.compress(b'{"error":{"message":"bad key","type":"invalid_request_error"}}')
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    async with FakeServer([Reply(401, headers, [body])]) as server:
        async with real_client(transport) as client:
            port = OpenAIChatAdapter("m", api_key=SENTINEL, base_url=server.url, http_client=client)
            _, error = await consume(port)
    assert isinstance(error, AuthenticationError)
    assert "bad key" in str(error)


async def test_the_request_on_the_wire_is_the_same_on_every_transport(transport: str) -> None:
    async with FakeServer([Reply(body=[b"".join(sse_text())])]) as server:
        async with real_client(transport) as client:
            port = OpenAIChatAdapter("m", api_key=SENTINEL, base_url=server.url, http_client=client)
            events, error = await consume(port)
        request = server.requests[0]
    assert error is None
    assert events[0] == TextDelta("Hi")
    assert isinstance(events[-1], Done)
    assert request.method == "POST"
    assert request.path == "/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SENTINEL}"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert "gzip" in request.headers["accept-encoding"]
    assert request.json()["stream"] is True


def sse_text() -> list[bytes]:
    from tests.support.fake_server import sse

    return sse(TEXT)


async def test_an_encoding_aiohttp_cannot_decode_is_a_protocol_error() -> None:
    import aiohttp

    headers = {"content-type": "text/event-stream", "content-encoding": "br"}
    async with FakeServer([Reply(headers=headers, body=[b"\x0b\x02\x80data"])]) as server:
        async with aiohttp.ClientSession() as session:
            port = OpenAIChatAdapter("m", base_url=server.url, http_client=session)
            _, error = await consume(port)
    assert isinstance(error, StreamProtocolError)
    assert "'br' is not supported on the aiohttp transport" in str(error)


# --- a transport of one's own ------------------------------------------------------------------


class _Scripted:
    """A transport answering every request with the same body, from memory."""

    name = "scripted"
    errors: tuple[type[BaseException], ...] = (OSError,)

    def __init__(self, body: list[bytes]) -> None:
        self.body = body
        self.sent: list[tuple[str, str]] = []
        self.closed = 0

    @property
    def client(self) -> Any:
        return self

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        connect_timeout: float,
    ) -> Any:
        self.sent.append((method, url))
        transport = self

        class Response:
            status_code = 200
            headers: Mapping[str, str] = {"content-type": "text/event-stream"}

            def body(self, *, decoded: bool) -> AsyncIterator[bytes]:
                async def pieces() -> AsyncIterator[bytes]:
                    for piece in transport.body:
                        yield piece

                return pieces()

            async def aclose(self) -> None:
                transport.closed += 1

        return Response()

    def classify(self, error: BaseException) -> FaultKind:
        return "network"

    async def aclose(self) -> None:
        return None


async def test_any_object_with_the_transport_shape_can_be_given() -> None:
    scripted = _Scripted(chunks({"t": "a"}, {"t": "b"}))
    assert isinstance(scripted, Transport)
    shell = HttpShell(provider="x", transport=scripted, timeouts=Timeouts(idle=1))
    source = await shell.stream(url="http://x/y", body=b"{}", decoder_factory=TinyDecoder)
    items = [item async for item in source]
    assert scripted.sent == [("POST", "http://x/y")]
    assert scripted.closed == 1
    assert [i for i in items if isinstance(i, TextDelta)] == [TextDelta("a"), TextDelta("b")]


async def test_the_default_pools_reuse_a_connection_except_on_legacy_httpx(transport: str) -> None:
    # httpx2 and aiohttp keep idle connections (an agent's next turn skips the handshake);
    # legacy httpx keeps none (its pool piled warm bursts onto one connection).
    replies = [Reply(body=chunks({"t": "a"})), Reply(body=chunks({"t": "b"}))]
    async with FakeServer(replies) as server:
        shell = HttpShell(provider="x")
        for _ in range(2):
            source = await shell.stream(
                url=server.url + "/x", body=b"{}", decoder_factory=TinyDecoder
            )
            async with guard(source, provider="x") as stream:
                assert isinstance([event async for event in stream][-1], Done)
        await shell.aclose()
        assert len(server.connections) == (2 if transport == "httpx" else 1)


def test_a_missing_library_or_a_bad_variable_is_said_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "llmport.core.transport_aiohttp", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'llmport\[aiohttp\]'"):
        HttpShell(provider="x", transport="aiohttp")
    monkeypatch.setenv("LLMPORT_TRANSPORT", "urllib")
    with pytest.raises(ValueError, match=r"unknown transport 'urllib' \(\$LLMPORT_TRANSPORT\)"):
        HttpShell(provider="x")


async def test_a_session_that_raises_for_status_still_gets_the_mapped_error() -> None:
    import aiohttp

    body = b'{"error":{"message":"slow down","type":"rate_limit_exceeded"}}'
    replies = [Reply(429, {"content-type": "application/json", "retry-after": "0"}, [body])] * 3
    async with FakeServer(replies) as server:
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            port = OpenAIChatAdapter("m", base_url=server.url, http_client=session, max_retries=0)
            _, error = await consume(port)
    assert type(error).__name__ == "RateLimitError"
    assert error is not None and error.status_code == 429
