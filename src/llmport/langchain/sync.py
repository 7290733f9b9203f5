"""Sync LangChain calls (``invoke``, ``stream``) over an async port: one background loop.

A port's streams belong to the event loop they were opened on, so every sync call runs on the
same long-lived loop in a daemon thread; the async generator is stepped there one item at a
time and closed there when the caller stops early.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

__all__ = ["iterate"]

T = TypeVar("T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_END = object()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="llmport-langchain-sync", daemon=True
            ).start()
            _loop = loop
        return _loop


async def _step(source: AsyncIterator[T]) -> T | object:
    try:
        return await source.__anext__()
    except StopAsyncIteration:
        return _END


def iterate(source: AsyncIterator[T]) -> Iterator[T]:
    """Iterate ``source`` from sync code, on the background loop."""
    loop = _background_loop()
    if loop is _running_loop():
        raise RuntimeError("a sync LangChain call cannot run inside llmport's own sync loop")
    finished = False
    try:
        while True:
            item = asyncio.run_coroutine_threadsafe(_step(source), loop).result()
            if item is _END:
                finished = True
                return
            yield item  # type: ignore[misc]
    finally:
        if not finished:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                asyncio.run_coroutine_threadsafe(aclose(), loop).result()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
