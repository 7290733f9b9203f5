"""``RayExecutor``: batch runs over Ray async actors; ``run_batch`` with Ray's knobs.

Each actor is an async actor running up to ``per_actor_concurrency`` runs at once in its own
event loop (one Ray task per run: ordinary Ray tasks or ``ray.util.multiprocessing`` cost a
process hop per run and are 30x slower for this). An actor returns one record per run, never
its events. Actors are created with unlimited restarts and task retries, so a worker that dies
(killed, out of memory) is restarted by Ray and its unfinished runs are done again from their
first turn; the batch goes on. The agent factory is sent to each actor once (cloudpickle) and
called there for every run, so models and keys come from the worker's own environment.

Without ``address`` a local Ray instance is started in this process, bound to the loopback
interface, without the dashboard. ``ray`` is imported only when a batch starts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from itertools import cycle
from typing import Any, TextIO

from llmport.agent.loop import Prompt
from llmport.batch.executors import windowed
from llmport.batch.progress import BatchProgress
from llmport.batch.records import AgentFactory, BatchItem, RunRecord, run_one
from llmport.batch.run import run_batch as _run_batch

__all__ = ["RayExecutor", "run_batch"]


def _ray() -> Any:
    try:
        import ray
    except ImportError as error:  # pragma: no cover - the extra is part of dev
        raise ImportError("llmport.ray needs Ray: pip install 'llmport[ray]'") from error
    return ray


class _BatchActor:
    """The actor body: one factory, many runs (as a Ray async actor)."""

    def __init__(self, factory: AgentFactory) -> None:
        self.factory = factory

    async def run(self, item: BatchItem) -> RunRecord:
        return await run_one(self.factory, item)

    def pid(self) -> int:
        return os.getpid()


class RayExecutor:
    """Runs batch items on ``actors`` Ray async actors, ``per_actor_concurrency`` runs each."""

    def __init__(
        self,
        *,
        actors: int = 2,
        per_actor_concurrency: int = 64,
        address: str | None = None,
        num_cpus: int | None = None,
    ) -> None:
        if actors < 1 or per_actor_concurrency < 1:
            raise ValueError("actors and per_actor_concurrency must be at least 1")
        self.actors = actors
        self.per_actor_concurrency = per_actor_concurrency
        self.address = address
        self.num_cpus = num_cpus
        self.handles: list[Any] = []
        """The live actors of the batch in progress (empty between batches)."""

    def __repr__(self) -> str:
        return (
            f"RayExecutor(actors={self.actors}, "
            f"per_actor_concurrency={self.per_actor_concurrency}, address={self.address!r})"
        )

    def connect(self) -> Any:
        """Join the cluster at ``address`` (or start a loopback-only one here); idempotent."""
        ray = _ray()
        if not ray.is_initialized():
            if self.address is not None:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=self.num_cpus,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    log_to_driver=False,
                )
        return ray

    async def pids(self) -> list[int]:
        """The process ids of the live actors (to watch them, or to kill one in a test)."""
        return [int(await handle.pid.remote()) for handle in self.handles]

    async def map(
        self, factory: AgentFactory, items: Iterable[BatchItem]
    ) -> AsyncIterator[RunRecord]:
        ray = self.connect()
        remote = ray.remote(max_restarts=-1, max_task_retries=-1)(_BatchActor)
        self.handles = [
            remote.options(max_concurrency=self.per_actor_concurrency).remote(factory)
            for _ in range(self.actors)
        ]
        turn = cycle(self.handles)

        async def start(item: BatchItem) -> RunRecord:
            record: RunRecord = await next(turn).run.remote(item)
            return record

        try:
            async for record in windowed(items, start, self.actors * self.per_actor_concurrency):
                yield record
        finally:
            for handle in self.handles:
                ray.kill(handle, no_restart=True)
            self.handles = []


async def run_batch(
    agent_factory: AgentFactory,
    prompts: Iterable[Prompt],
    *,
    out_dir: str | os.PathLike[str],
    ids: Iterable[str] | None = None,
    actors: int = 2,
    per_actor_concurrency: int = 64,
    address: str | None = None,
    resume: bool = True,
    progress: BatchProgress | TextIO | None = None,
) -> AsyncIterator[RunRecord]:
    """``llmport.batch.run_batch`` on a ``RayExecutor`` (see both)."""
    executor = RayExecutor(
        actors=actors, per_actor_concurrency=per_actor_concurrency, address=address
    )
    async for record in _run_batch(
        agent_factory,
        prompts,
        out_dir=out_dir,
        ids=ids,
        executor=executor,
        resume=resume,
        progress=progress,
    ):
        yield record
