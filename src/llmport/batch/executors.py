"""Where runs execute: ``LocalExecutor`` (asyncio in this process, bounded) by default;
``llmport.ray.RayExecutor`` over a Ray cluster. Both take items and yield records as runs
finish; at most a window of runs is in flight, so a batch of any size uses bounded memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Protocol

from llmport.batch.records import AgentFactory, BatchItem, RunRecord, run_one

__all__ = ["Executor", "LocalExecutor", "windowed"]


class Executor(Protocol):
    """Runs batch items somewhere and yields one record per item, in finishing order."""

    def map(
        self, factory: AgentFactory, items: Iterable[BatchItem]
    ) -> AsyncIterator[RunRecord]: ...


async def windowed(
    items: Iterable[BatchItem],
    start: Callable[[BatchItem], Awaitable[RunRecord]],
    window: int,
) -> AsyncIterator[RunRecord]:
    """Start ``start(item)`` for at most ``window`` items at a time; yield records as they come.

    ``start`` must not raise for a run's own failure; if it does anyway, the item gets a
    ``failed`` record and the batch goes on. Leaving the iterator cancels what is in flight.
    """
    if window < 1:
        raise ValueError("the window must be at least 1")
    pending: dict[asyncio.Future[RunRecord], BatchItem] = {}
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending[asyncio.ensure_future(start(item))] = item
            if not pending:
                return
            finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                item = pending.pop(future)
                error = future.exception()
                if error is None:
                    yield future.result()
                else:
                    yield RunRecord.failure(item.id, error, 0.0)
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.wait(pending)


class LocalExecutor:
    """Runs in this process's event loop, at most ``concurrency`` runs at once."""

    def __init__(self, concurrency: int = 64) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"LocalExecutor(concurrency={self.concurrency})"

    def map(self, factory: AgentFactory, items: Iterable[BatchItem]) -> AsyncIterator[RunRecord]:
        return windowed(items, lambda item: run_one(factory, item), self.concurrency)
