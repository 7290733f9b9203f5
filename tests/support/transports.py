"""The HTTP clients of every transport, for tests that run on each (the ``transport`` fixture).

``real_client(name)`` opens a client of that library with its own defaults (as a caller would
inject it); ``pool_size(client)`` counts the connections its pool holds open.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from llmport.core.transport import TRANSPORTS
from tests.support.fake_server import FakeServer, Reply
from tests.support.goldens import mock_client, split_body

__all__ = ["TRANSPORTS", "in_flight", "pool_size", "real_client", "served"]


@asynccontextmanager
async def real_client(name: str) -> AsyncIterator[Any]:
    if name == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession() as session:
            yield session
        return
    lib = importlib.import_module(name)
    async with lib.AsyncClient() as client:
        yield client


def pool_size(client: Any) -> int:
    """Connections the client's pool holds (idle or in use)."""
    if type(client).__module__.startswith("aiohttp"):
        connector = client.connector
        idle = sum(len(conns) for conns in connector._conns.values())
        return idle + len(connector._acquired)
    return len(client._transport._pool.connections)


def in_flight(client: Any) -> int:
    """Connections of the client's pool that carry a request now (not idle)."""
    if type(client).__module__.startswith("aiohttp"):
        return len(client.connector._acquired)
    return sum(1 for conn in client._transport._pool.connections if not conn.is_idle())


@asynccontextmanager
async def served(
    transport: str, body: bytes, sizes: Sequence[int] | None, *, content_type: str
) -> AsyncIterator[tuple[Any, str | None]]:
    """``(client, base_url)`` answering one request with ``body`` cut into ``sizes`` pieces.

    httpx: the in-process ``MockTransport`` (base_url None: any URL reaches it); httpx2 and
    aiohttp: the loopback server, each piece its own write (base_url: the server's).
    """
    if transport == "httpx":
        async with mock_client(body, sizes, content_type=content_type) as client:
            yield client, None
        return
    async with FakeServer() as server, real_client(transport) as client:
        server.add(Reply(headers={"content-type": content_type}, body=split_body(body, sizes)))
        yield client, server.url
