"""``run_turn`` around the model's lock: a turn waiting for another one still stops on request.

The model itself is not needed here: a turn that never gets the lock never touches it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from llmport.adapters.local.engine import Sampling, TurnPlan, run_turn
from llmport.adapters.local.model import LoadedModel
from llmport.adapters.local.worker import WorkerSource
from llmport.core.raw import RawEvent


async def test_closing_a_turn_queued_behind_another_ends_its_thread() -> None:
    model = LoadedModel(server=None, path=Path("unused.gguf"), n_ctx=64)
    turns = ({"role": "user", "content": "hi"},)
    plan = TurnPlan(turns, turns, tools=(), choice="none", tool_bias=0.0)
    model.lock.acquire()  # another turn is generating
    try:
        source: WorkerSource[RawEvent] = WorkerSource(
            partial(run_turn, model, plan, Sampling()), join_timeout=3.0
        )
        source.start()
        await source.aclose()
        # Closed while it waited: the thread ends without waiting for the other turn.
        assert not source.thread.is_alive()
    finally:
        model.lock.release()
    source.thread.join(timeout=5)
