"""The idempotency key: its shape, and that a tool (async or sync, in a thread) can read it."""

from __future__ import annotations

import asyncio

import pytest

from llmport.durable import StepKey, idempotency_key
from llmport.durable.keys import step_key


def test_a_key_names_the_run_the_turn_and_the_call() -> None:
    assert str(StepKey("run-1", 2, "call_0")) == "run-1/2/call_0"
    assert str(StepKey("run-1", 1)) == "run-1/1/model"
    with pytest.raises(ValueError, match="run_id"):
        StepKey("", 1)
    with pytest.raises(ValueError, match="from 1"):
        StepKey("r", 0)


async def test_the_key_is_visible_to_tasks_and_threads_only_inside_the_step() -> None:
    assert idempotency_key() is None
    key = StepKey("r", 3, "c")
    with step_key(key):
        in_task = await asyncio.create_task(asyncio.sleep(0, result=idempotency_key()))
        in_thread = await asyncio.to_thread(idempotency_key)
    assert in_task == key
    assert in_thread == key
    assert idempotency_key() is None
