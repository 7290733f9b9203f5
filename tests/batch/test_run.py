"""``run_batch`` on the local executor: every record accounted for, failures included; resume
skips what is done; bad ids refused up front; the window bounds the runs in flight."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from llmport import Agent
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.batch import BatchProgress, LocalExecutor, read_results, run_batch
from tests.support.batch_agents import ScriptedBatchAgent, expected_text, fails_by_design


def ids(n: int) -> list[str]:
    return [f"run-{i}" for i in range(n)]


async def test_every_run_has_its_record_and_failures_do_not_stop_the_batch(
    tmp_path: Path,
) -> None:
    n = 300
    seen = [
        r
        async for r in run_batch(
            ScriptedBatchAgent(), ["go"] * n, ids=ids(n), out_dir=tmp_path,
            executor=LocalExecutor(concurrency=16),
        )
    ]  # fmt: skip
    assert sorted(r.id for r in seen) == sorted(ids(n))
    stored = read_results(tmp_path)
    assert sorted(stored) == sorted(ids(n))
    for run_id, record in stored.items():
        if fails_by_design(run_id):
            assert (record.status, record.error_cause) == ("failed", "RateLimitError")
        else:
            assert (record.status, record.text) == ("ok", expected_text(run_id))
    assert len(list((tmp_path / "transcripts").glob("*.json"))) == n


async def test_an_interrupted_batch_resumes_without_redoing_finished_runs(tmp_path: Path) -> None:
    n, log = 120, tmp_path / "executions.log"
    agents = ScriptedBatchAgent(log=str(log), pause=0.001)
    first: list[str] = []
    fifty = asyncio.Event()

    async def consume() -> None:
        async for record in run_batch(
            agents, ["go"] * n, ids=ids(n), out_dir=tmp_path / "out",
            executor=LocalExecutor(concurrency=8),
        ):  # fmt: skip
            first.append(record.id)
            if len(first) == 50:
                fifty.set()
                await asyncio.sleep(60)  # still running when it is interrupted

    task = asyncio.create_task(consume())
    await fifty.wait()
    task.cancel()  # interrupted, as by Ctrl-C: the runs in flight are cancelled
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(read_results(tmp_path / "out")) == sorted(first)
    second = [
        r.id async for r in run_batch(agents, ["go"] * n, ids=ids(n), out_dir=tmp_path / "out")
    ]
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids(n))
    executions = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert all(executions[run_id] == 1 for run_id in first)  # finished runs never redone
    assert sorted(read_results(tmp_path / "out")) == sorted(ids(n))


async def test_bad_ids_are_refused_before_any_run_starts(tmp_path: Path) -> None:
    calls: list[str] = []

    def factory(run_id: str) -> Agent:
        calls.append(run_id)
        return Agent(ScriptedAdapter(echo=True))

    for bad_ids, why in [
        (["a", "a"], "given twice"),
        (["a"], "fewer ids"),
        (["a", "b", "c"], "more ids"),
        (["a", "../b"], "run id"),
    ]:
        with pytest.raises(ValueError, match=why):
            async for _ in run_batch(factory, ["x", "y"], ids=bad_ids, out_dir=tmp_path):
                pass
    assert calls == []


async def test_the_window_bounds_the_runs_in_flight(tmp_path: Path) -> None:
    running, peak = 0, 0

    class Counting(ScriptedAdapter):
        async def chat_stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001)
            running -= 1
            return await super().chat_stream(*args, **kwargs)

    def factory(run_id: str) -> Agent:
        return Agent(Counting([ScriptedTurn.text("ok")]))

    records = [
        r async for r in run_batch(
            factory, ["x"] * 60, out_dir=tmp_path, executor=LocalExecutor(concurrency=5)
        )
    ]  # fmt: skip
    assert len(records) == 60 and all(r.ok for r in records)
    assert 1 < peak <= 5


async def test_progress_is_drawn_on_the_stream_given(tmp_path: Path) -> None:
    import io

    out = io.StringIO()
    meter = BatchProgress(10, stream=out, force=True, interval=0.0)
    async for _ in run_batch(
        ScriptedBatchAgent(), ["go"] * 10, ids=ids(10), out_dir=tmp_path, progress=meter
    ):
        pass
    assert "10/10 runs · 1 failed" in out.getvalue()
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(concurrency=0)
