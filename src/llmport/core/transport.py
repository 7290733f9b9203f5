"""The transport seam: the little the HTTP shell needs from an HTTP client.

The shell (``core/http.py``, ``core/http_source.py``) never imports an HTTP library. It talks
to a :class:`Transport`: *send a request, get a* :class:`TransportResponse` *(status, headers,
an async iterator of body bytes), close it*. Three implementations, each imported only when it
is used (``import llmport`` loads none of them):

- ``"httpx2"`` (the default): the Pydantic-maintained fork of httpx the official ``openai`` 3.x
  and ``anthropic`` 2.x SDKs use (``core/transport_httpx.py``);
- ``"httpx"``: a legacy ``httpx.AsyncClient`` (the same module, with httpx's classes);
- ``"aiohttp"`` (extra ``llmport[aiohttp]``): an ``aiohttp.ClientSession``, several times less
  CPU per event and memory per open stream (``core/transport_aiohttp.py``).

Each transport names the exceptions its client raises (``errors``) and sorts each into a
:data:`FaultKind`; ``core/http_failures.transport_error`` turns the kind into the one typed
``LlmError`` every transport shares, so a reset, a refused connection or a connect timeout read
the same whatever the client. The shell keeps everything else (timeouts, limits, retries,
decompression, redaction, cancellation) to itself, so they behave identically on every one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final, Literal, Protocol, runtime_checkable

__all__ = [
    "TRANSPORTS",
    "FaultKind",
    "Transport",
    "TransportName",
    "TransportResponse",
    "make_transport",
    "transport_for_client",
]

TransportName = Literal["httpx2", "httpx", "aiohttp"]
TRANSPORTS: Final[tuple[TransportName, ...]] = ("httpx2", "httpx", "aiohttp")
DEFAULT_TRANSPORT: Final[TransportName] = "httpx2"
TRANSPORT_ENV: Final = "LLMPORT_TRANSPORT"
"""The environment variable that picks the default transport (else ``httpx2``)."""

FaultKind = Literal["connect_timeout", "connect", "timeout", "unreachable", "network", "other"]
"""What a client exception means: a connect (or pool) timeout; a failed connection; another
client-side timeout; a request that cannot reach its host at all (unsupported scheme, proxy
refused); a network failure once connected (reset, truncated body); anything else."""


class TransportResponse(Protocol):
    """A response whose head has arrived and whose body is still to be read."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive: ``headers.get("content-type")`` whatever the server's case."""
        ...

    def body(self, *, decoded: bool) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive: as sent (``decoded=False``: any content-encoding
        kept, the shell inflates gzip/deflate itself, in bounded steps) or as the client decodes
        it (``decoded=True``: for the encodings the shell leaves to the client)."""
        ...

    async def aclose(self) -> None:
        """Give the connection back (a finished body) or close it (an unfinished one)."""
        ...


@runtime_checkable
class Transport(Protocol):
    """An HTTP client as the shell uses it."""

    name: str
    errors: tuple[type[BaseException], ...]
    """What ``send``, reading a body and closing it may raise besides ``LlmError``."""

    @property
    def client(self) -> Any:
        """The client object underneath (``httpx2.AsyncClient``, ``aiohttp.ClientSession`` ...)."""
        ...

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        connect_timeout: float,
    ) -> TransportResponse:
        """Send the request (no redirect followed); return once the response head arrived.

        ``connect_timeout`` bounds connecting and waiting for a pooled connection; nothing
        else: every later limit is the shell's watchdog.
        """
        ...

    def classify(self, error: BaseException) -> FaultKind:
        """What one of ``errors`` means."""
        ...

    async def aclose(self) -> None:
        """Close the client if the transport created it (an injected one is the caller's)."""
        ...


_LIBRARIES: Final = ("httpx2", "httpx", "aiohttp")


def _library(client: object) -> str | None:
    """The HTTP library a client comes from (a subclass counts as its base's)."""
    for cls in type(client).__mro__:
        library = cls.__module__.partition(".")[0]
        if library in _LIBRARIES:
            return library
    return None


_EXTRAS: Final = {
    "aiohttp": "pip install 'llmport[aiohttp]'",
    "httpx": "pip install httpx",
    "httpx2": "pip install httpx2",
}


def _build(library: str, client: Any, connect_timeout: float) -> Transport:
    """The transport of ``library`` (imported now), around ``client`` or a client of its own."""
    try:
        if library == "aiohttp":
            from llmport.core.transport_aiohttp import AiohttpTransport

            return AiohttpTransport(client=client, connect_timeout=connect_timeout)
        from llmport.core.transport_httpx import HttpxTransport

        return HttpxTransport(library, client=client, connect_timeout=connect_timeout)
    except ModuleNotFoundError as missing:
        if missing.name != library:
            raise
        raise ImportError(
            f"the {library} transport needs {library}, which is not installed: {_EXTRAS[library]}"
        ) from None


def transport_for_client(client: Any, *, connect_timeout: float) -> Transport:
    """The transport wrapping an injected client (its owner closes it, never the shell).

    ``client`` is an ``httpx2.AsyncClient``, an ``httpx.AsyncClient``, an
    ``aiohttp.ClientSession`` (or a subclass of one), or a :class:`Transport` itself.
    """
    if isinstance(client, Transport):
        return client
    library = _library(client)
    if library is not None:
        return _build(library, client, connect_timeout)
    raise TypeError(
        "http_client must be an httpx2.AsyncClient, an httpx.AsyncClient or an "
        f"aiohttp.ClientSession, got {type(client).__name__}"
    )


def make_transport(
    transport: str | Transport | None, *, http_client: Any = None, connect_timeout: float
) -> Transport:
    """The shell's transport: an injected client's, a given one, or a new one by name.

    ``transport`` None picks ``$LLMPORT_TRANSPORT``, else ``"httpx2"``. A transport built by
    name creates (and later closes) its own client, on first use.
    """
    if http_client is not None:
        shell_transport = transport_for_client(http_client, connect_timeout=connect_timeout)
        if isinstance(transport, str) and transport != shell_transport.name:
            raise ValueError(
                f"transport={transport!r} does not match the {shell_transport.name} client "
                "passed as http_client="
            )
        return shell_transport
    source = "transport="
    if transport is None:
        transport = os.environ.get(TRANSPORT_ENV) or DEFAULT_TRANSPORT
        source = f"${TRANSPORT_ENV}"
    if not isinstance(transport, str):
        if isinstance(transport, Transport):
            return transport
        raise TypeError(f"transport must be a name or a Transport, got {type(transport).__name__}")
    if transport not in TRANSPORTS:
        raise ValueError(
            f"unknown transport {transport!r} ({source}); choose one of {', '.join(TRANSPORTS)}"
        )
    return _build(transport, None, connect_timeout)
