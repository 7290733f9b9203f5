"""``run_batch``: many agent runs, each with its own record and transcript, resumable.

    async for record in run_batch(make_agent, prompts, out_dir="out"):
        ...

Records are yielded as runs finish (not in prompt order). One run's failure is its record,
never the batch's end. With ``resume=True`` (the default) the ids already in
``out_dir/results.jsonl`` are skipped, so a batch interrupted anywhere is finished by running
the same call again; runs that were in flight at the interruption are done again from their
first turn.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TextIO

from llmport.agent.loop import Prompt
from llmport.batch.executors import Executor, LocalExecutor
from llmport.batch.progress import BatchProgress
from llmport.batch.records import AgentFactory, BatchItem, RunRecord, check_id
from llmport.batch.store import ResultStore

__all__ = ["batch_items", "run_batch"]


def batch_items(prompts: Iterable[Prompt], ids: Iterable[str] | None = None) -> Iterator[BatchItem]:
    """Pair prompts with ids (the position, from 0, when ``ids`` is None); ids are checked and
    must be unique, and there must be exactly one per prompt."""
    seen: set[str] = set()
    id_source = iter(ids) if ids is not None else None
    for index, prompt in enumerate(prompts):
        given = str(index) if id_source is None else next(id_source, None)
        if given is None:
            raise ValueError(f"fewer ids than prompts (prompt {index} has no id)")
        run_id = given
        check_id(run_id)
        if run_id in seen:
            raise ValueError(f"the run id {run_id!r} is given twice")
        seen.add(run_id)
        yield BatchItem(run_id, prompt)
    if id_source is not None and next(id_source, None) is not None:
        raise ValueError("more ids than prompts")


async def run_batch(
    agent_factory: AgentFactory,
    prompts: Iterable[Prompt],
    *,
    out_dir: str | os.PathLike[str],
    ids: Iterable[str] | None = None,
    executor: Executor | None = None,
    resume: bool = True,
    progress: BatchProgress | TextIO | None = None,
) -> AsyncIterator[RunRecord]:
    """Run every prompt (``agent_factory(run_id).run(prompt)``) and yield each run's record.

    ``executor``: where runs execute (``LocalExecutor()`` by default; ``llmport.ray`` for a
    cluster). ``progress``: a ``BatchProgress``, or a stream to draw one on when it is a
    terminal (None: no progress). Ids are checked up front: a bad or repeated id is a
    ``ValueError`` before any run starts.
    """
    items = list(batch_items(prompts, ids))
    runner = executor if executor is not None else LocalExecutor()
    with ResultStore(out_dir, resume=resume) as store:
        todo = [item for item in items if item.id not in store.done]
        meter: BatchProgress | None
        if progress is None or isinstance(progress, BatchProgress):
            meter = progress
        else:
            meter = BatchProgress(len(items), stream=progress)
        if meter is not None:
            meter.skip(len(items) - len(todo))
        try:
            async for record in runner.map(agent_factory, todo):
                store.write(record)
                if meter is not None:
                    meter.add(record)
                yield record
        finally:
            if meter is not None:
                meter.finish()
