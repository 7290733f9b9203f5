"""What the side-by-side benches share: a recorded or synthetic body served in pieces from an
in-process ``httpx.MockTransport`` (no socket: bytes to events only), and the per-stream timing
of readers that are set up once.

A reader is an *opener*: an async context manager that builds what a program builds once (its
HTTP client, the adapter or the SDK client) and yields ``once()``, one whole stream read through
it, returning the number of events. ``measure`` times ``once()`` alone, so a short recorded body
measures reading it, not constructing clients.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import httpx

Once = Callable[[], Awaitable[int]]
Opener = Callable[[list[bytes]], AbstractAsyncContextManager[Once]]


def reads(body: bytes, size: int = 4096) -> list[bytes]:
    """``body`` cut into network reads of ``size`` bytes."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def mock_transport(pieces: list[bytes], content_type: str) -> httpx.MockTransport:
    """Every request answered 200 with ``pieces`` as its body, one piece per read."""

    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body())

    return httpx.MockTransport(handler)


async def measure(opener: Opener, pieces: list[bytes], events: int, rounds: int) -> float:
    """The best of ``rounds`` streams through one opened reader, in microseconds per event."""
    async with opener(pieces) as once:
        await once()  # warm-up (imports, caches)
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            await once()
            best = min(best, time.perf_counter() - started)
    return best / events * 1e6
