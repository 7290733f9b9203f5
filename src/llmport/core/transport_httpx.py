"""The httpx2 and httpx transports: one implementation, two libraries of the same API.

``httpx2`` (the default, the fork the official SDKs moved to) and the legacy ``httpx`` 0.28
share their API but not their classes: an ``httpx2.AsyncClient`` needs an ``httpx2.Timeout``,
raises ``httpx2`` exceptions and logs on the ``httpx2``/``httpcore2`` loggers. So the transport
is given the library's name and takes every class from that module; nothing of either is
imported until a transport of that library is built.

The body is read from the response's own stream (the library maps its errors there): two
async-generator layers fewer per chunk than ``aiter_bytes()``, which is used only for the
encodings the shell leaves to the client.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from llmport.core.transport import FaultKind

__all__ = ["HttpxTransport"]

_MAX_CONNECTIONS: Final = 1000
# Idle keep-alive connections kept by a client the transport creates. httpx (httpcore 1.0.9):
# none, as before: its pool hands every request of a burst the first idle connection and its
# housekeeping is quadratic in idle connections, so a warm burst ran 3-6x slower than a cold
# one. httpx2 (httpcore2 reserves an idle connection per request): 10, enough for an agent's
# requests one after another to skip the handshake (0.44x today's time per request), measured
# as fast warm as cold with bursts of 500-1,000 streams; 100 kept cost 15-20 % more CPU with
# 1,000 streams open, 10 the same as today (bench/bench_transport.py, BENCHMARKS.md).
_KEEPALIVE: Final = {"httpx": 0, "httpx2": 10}


class _HttpxResponse:
    __slots__ = ("_lib", "_response", "headers", "status_code")

    def __init__(self, response: Any, lib: Any) -> None:
        self._response = response
        self._lib = lib
        self.status_code: int = response.status_code
        self.headers: Mapping[str, str] = response.headers

    def body(self, *, decoded: bool) -> AsyncIterator[bytes]:
        response = self._response
        if decoded:
            chunks: AsyncIterator[bytes] = response.aiter_bytes()
            return chunks
        stream = response.stream
        if isinstance(stream, self._lib.AsyncByteStream):
            raw: AsyncIterator[bytes] = stream.__aiter__()
            return raw
        raw = response.aiter_raw()
        return raw

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxTransport:
    """An ``httpx2.AsyncClient`` or ``httpx.AsyncClient`` as the shell's transport."""

    __slots__ = ("_client", "_connect", "_lib", "_owns", "_timeout", "errors", "name")

    def __init__(self, library: str, *, client: Any = None, connect_timeout: float) -> None:
        if library not in ("httpx", "httpx2"):
            raise ValueError(f"not an httpx library: {library!r}")
        lib = importlib.import_module(library)
        self.name = library
        self._lib = lib
        self._client = client
        self._owns = client is None
        self._connect = connect_timeout
        self._timeout = lib.Timeout(None, connect=connect_timeout, pool=connect_timeout)
        self.errors: tuple[type[BaseException], ...] = (lib.HTTPError,)

    def __repr__(self) -> str:
        return f"<HttpxTransport {self.name}>"

    @property
    def client(self) -> Any:
        if self._client is None:
            lib = self._lib
            self._client = lib.AsyncClient(
                follow_redirects=False,
                limits=lib.Limits(
                    max_connections=_MAX_CONNECTIONS,
                    max_keepalive_connections=_KEEPALIVE[self.name],
                ),
                timeout=lib.Timeout(None, connect=self._connect),
            )
        return self._client

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        connect_timeout: float,
    ) -> _HttpxResponse:
        client = self.client
        timeout = self._timeout
        if connect_timeout != self._connect:
            timeout = self._lib.Timeout(None, connect=connect_timeout, pool=connect_timeout)
        request = client.build_request(method, url, content=body, headers=headers, timeout=timeout)
        response = await client.send(request, stream=True, follow_redirects=False)
        return _HttpxResponse(response, self._lib)

    def classify(self, error: BaseException) -> FaultKind:
        lib = self._lib
        if isinstance(error, lib.ConnectTimeout | lib.PoolTimeout):
            return "connect_timeout"
        if isinstance(error, lib.ConnectError):
            return "connect"
        if isinstance(error, lib.TimeoutException):
            return "timeout"
        if isinstance(error, lib.UnsupportedProtocol | lib.ProxyError):
            return "unreachable"
        if isinstance(error, lib.TransportError):
            return "network"
        return "other"

    async def aclose(self) -> None:
        if self._owns and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
