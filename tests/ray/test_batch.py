"""Batch runs on a real Ray instance in this process (2 CPUs, loopback only, no dashboard):
1,000 scripted conversations with tools, some failing by design, every record accounted for;
an interrupted batch resumed without redoing finished runs; a worker killed mid-batch and the
batch still complete. One Ray session serves the whole module."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path

import pytest

from llmport.batch import read_results
from llmport.batch import run_batch as run_batch_on
from llmport.ray import RayExecutor, run_batch
from tests.support.batch_agents import ScriptedBatchAgent, expected_text, fails_by_design

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def ray_session() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        # The workers import the test's agent factory (tests.support.batch_agents) by name.
        runtime_env={"env_vars": {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def ids(n: int) -> list[str]:
    return [f"run-{i}" for i in range(n)]


def executions(log: Path) -> tuple[Counter[str], set[str]]:
    lines = [line.split() for line in log.read_text().splitlines()]
    return Counter(run_id for run_id, _ in lines), {pid for _, pid in lines}


def check_all_accounted(out: Path, n: int) -> None:
    stored = read_results(out)
    assert sorted(stored) == sorted(ids(n))
    for run_id, record in stored.items():
        if fails_by_design(run_id):
            assert (record.status, record.error_cause) == ("failed", "RateLimitError"), run_id
        else:
            assert (record.status, record.text, record.turns) == (
                "ok", expected_text(run_id), 2,
            ), run_id  # fmt: skip
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == n  # one line per run, none twice
    assert len(list((out / "transcripts").glob("*.json"))) == n


async def test_a_thousand_conversations_with_tools_every_record_accounted_for(
    tmp_path: Path,
) -> None:
    n, log = 1000, tmp_path / "executions.log"
    records = [
        r
        async for r in run_batch(
            ScriptedBatchAgent(log=str(log)), ["go"] * n, ids=ids(n), out_dir=tmp_path / "out",
            actors=2, per_actor_concurrency=64,
        )
    ]  # fmt: skip
    assert len(records) == n
    assert sum(not r.ok for r in records) == sum(fails_by_design(i) for i in ids(n)) == 100
    check_all_accounted(tmp_path / "out", n)
    counts, pids = executions(log)
    assert set(counts) == set(ids(n)) and set(counts.values()) == {1}
    assert str(os.getpid()) not in pids  # the runs ran in the actors, not here


async def test_an_interrupted_batch_resumes_without_redoing_finished_runs(tmp_path: Path) -> None:
    n, log, out = 400, tmp_path / "executions.log", tmp_path / "out"
    agents = ScriptedBatchAgent(log=str(log), pause=0.005)
    first: list[str] = []
    batch = run_batch(agents, ["go"] * n, ids=ids(n), out_dir=out, per_actor_concurrency=16)
    async with aclosing(batch):
        async for record in batch:
            first.append(record.id)
            if len(first) == 150:
                break  # interrupted: closing kills the actors with their runs in flight
    assert sorted(read_results(out)) == sorted(first)
    second = [
        r.id
        async for r in run_batch(
            agents, ["go"] * n, ids=ids(n), out_dir=out, per_actor_concurrency=16
        )
    ]
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids(n))
    counts, _ = executions(log)
    assert all(counts[run_id] == 1 for run_id in first)
    check_all_accounted(out, n)


async def test_a_worker_killed_mid_batch_is_restarted_and_the_batch_completes(
    tmp_path: Path,
) -> None:
    n, log, out = 400, tmp_path / "executions.log", tmp_path / "out"
    executor = RayExecutor(actors=2, per_actor_concurrency=16)
    seen: list[str] = []
    killed: int | None = None
    async for record in run_batch_on(
        ScriptedBatchAgent(log=str(log), pause=0.02), ["go"] * n, ids=ids(n), out_dir=out,
        executor=executor,
    ):  # fmt: skip
        seen.append(record.id)
        if len(seen) == 40:
            killed = (await executor.pids())[0]
            os.kill(killed, signal.SIGKILL)
    assert killed is not None
    assert sorted(seen) == sorted(ids(n))
    check_all_accounted(out, n)
    _, pids = executions(log)
    assert str(killed) in pids
    assert len(pids) >= 3  # the two actors and the one Ray restarted in place of the killed


def test_the_cli_runs_a_batch_on_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmport.cli.main import main

    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(f'{{"id": "p{i}", "prompt": "hello {i}"}}\n' for i in range(50)))
    out = tmp_path / "out"
    code = main(
        ["batch", str(prompts), "-m", "scripted", "--out", str(out), "--ray", "local",
         "--actors", "2", "--per-actor", "8"]
    )  # fmt: skip
    assert code == 0
    assert "50 runs done, 0 failed" in capsys.readouterr().out
    assert {k: v.text for k, v in read_results(out).items()} == {
        f"p{i}": f"You said: hello {i}" for i in range(50)
    }
