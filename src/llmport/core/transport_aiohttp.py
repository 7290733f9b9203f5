"""The aiohttp transport (extra ``llmport[aiohttp]``): many streams per core.

aiohttp parses HTTP/1.1 in C and hands the body over as it arrives (``iter_any``): on the same
loopback stream it costs about a quarter of httpx's client CPU per event and ~16 KB per open
connection (``BENCHMARKS.md``). The shell uses it exactly as it uses httpx: a request is sent
with no redirect followed and only a connect (and pool) timeout; every other limit is the
shell's watchdog. Bodies are read undecoded (``auto_decompress=False``) so that gzip and
deflate are inflated by the shell in bounded steps, as on every transport; ``accept-encoding``
is pinned to those two unless the caller sets it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Final

import aiohttp

from llmport.core.transport import FaultKind
from llmport.domain.errors import StreamProtocolError

__all__ = ["AiohttpTransport"]

# Up to 1,000 connections, every idle one kept (aiohttp's own keep-alive expiry, 15 s): its pool
# hands out idle connections one per request, so a warm burst of 500 streams took 0.2 s here
# against 1.3 s cold (tests/core/test_pool.py checks warm is never the slower).
_MAX_CONNECTIONS: Final = 1000
_ENCODINGS: Final = "gzip, deflate"
_UNREACHABLE: Final = (
    aiohttp.ClientProxyConnectionError,
    aiohttp.ClientHttpProxyError,
    aiohttp.InvalidURL,
    aiohttp.NonHttpUrlClientError,
)


async def _refuse(encoding: str) -> AsyncIterator[bytes]:
    """A body that fails when read: an encoding the shell leaves to the client (br, zstd)."""
    nothing: tuple[bytes, ...] = ()
    for chunk in nothing:
        yield chunk
    raise StreamProtocolError(
        f"the response's content-encoding {encoding!r} is not supported on the aiohttp "
        "transport (gzip and deflate are)"
    )


class _AiohttpResponse:
    __slots__ = ("_response", "headers", "status_code")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = response.headers

    def body(self, *, decoded: bool) -> AsyncIterator[bytes]:
        if decoded:
            encoding = self.headers.get("content-encoding", "identity").strip().lower()
            if encoding != "identity":
                return _refuse(encoding)
        return self._response.content.iter_any()

    async def aclose(self) -> None:
        response = self._response
        if response.content.at_eof():
            response.release()  # the body is whole: the connection goes back to the pool
        else:
            response.close()


class AiohttpTransport:
    """An ``aiohttp.ClientSession`` as the shell's transport."""

    __slots__ = ("_client", "_connect", "_owns", "_timeout", "errors", "name")

    def __init__(
        self, *, client: aiohttp.ClientSession | None = None, connect_timeout: float
    ) -> None:
        self.name = "aiohttp"
        self._client = client
        self._owns = client is None
        self._connect = connect_timeout
        self._timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout)
        self.errors: tuple[type[BaseException], ...] = (aiohttp.ClientError,)

    def __repr__(self) -> str:
        return "<AiohttpTransport>"

    @property
    def client(self) -> aiohttp.ClientSession:
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=_MAX_CONNECTIONS, limit_per_host=0),
                timeout=self._timeout,
                auto_decompress=False,
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
    ) -> _AiohttpResponse:
        timeout = self._timeout
        if connect_timeout != self._connect:
            timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout)
        if not any(name.lower() == "accept-encoding" for name in headers):
            headers = {**headers, "accept-encoding": _ENCODINGS}
        response = await self.client.request(
            method,
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=timeout,
            auto_decompress=False,
            raise_for_status=False,  # an injected session's own setting would hide the status
        )
        return _AiohttpResponse(response)

    def classify(self, error: BaseException) -> FaultKind:
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            return "connect_timeout"
        if isinstance(error, _UNREACHABLE):
            return "unreachable"
        if isinstance(error, aiohttp.ClientConnectorError):
            return "connect"
        if isinstance(error, aiohttp.ServerTimeoutError):
            return "timeout"
        if isinstance(error, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
            return "network"
        return "other"

    async def aclose(self) -> None:
        if self._owns and self._client is not None:
            client, self._client = self._client, None
            await client.close()
