"""``windowed``: a start that raises anyway still gives its item a record; leaving cancels."""

from __future__ import annotations

import asyncio

import pytest

from llmport.batch import BatchItem, RunRecord, windowed


async def test_a_start_that_raises_gives_a_failed_record_and_the_rest_go_on() -> None:
    async def start(item: BatchItem) -> RunRecord:
        if item.id == "b":
            raise ConnectionError("the worker vanished")
        return RunRecord(item.id, "ok", "x", None, 1, 0.0)

    items = [BatchItem(i, "p") for i in "abc"]
    records = {r.id: r async for r in windowed(items, start, 2)}
    assert sorted(records) == ["a", "b", "c"]
    assert (records["b"].status, records["b"].error_type) == ("failed", "ConnectionError")


async def test_leaving_early_cancels_the_runs_in_flight() -> None:
    cancelled: list[str] = []

    async def start(item: BatchItem) -> RunRecord:
        try:
            if item.id != "0":
                await asyncio.sleep(60)
            return RunRecord(item.id, "ok", "x", None, 1, 0.0)
        except asyncio.CancelledError:
            cancelled.append(item.id)
            raise

    stream = windowed((BatchItem(str(i), "p") for i in range(10)), start, 3)
    first = await anext(stream)
    await stream.aclose()
    assert first.id == "0"
    assert sorted(cancelled) == ["1", "2"]  # the window of 3 less the one that finished
    with pytest.raises(ValueError, match="at least 1"):
        await anext(windowed([], start, 0))
