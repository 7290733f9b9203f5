"""Batch throughput (local executor vs Ray) and the per-step overhead of DBOS on SQLite.

A report, not a test: it prints tables with ratios and exits 0.

1. ``N`` scripted conversations (default 10,000), each two model turns and one tool call (the
   scripted port, no network), through ``run_batch`` with its files (``results.jsonl`` and one
   transcript per run): on the ``LocalExecutor`` (asyncio in this process) and on Ray async
   actors (a Ray instance started here with 2 CPUs, loopback, no dashboard). Runs per second,
   and Ray's start-up apart.
2. ``RUNS`` durable runs as DBOS workflows on SQLite, against the same runs through ``drive``
   with no engine, in two shapes: 3 steps (2 model turns + 1 tool call) and 23 steps (2 model
   turns + 21 tool calls). The difference between the shapes, divided by the 20 extra steps,
   is what DBOS adds per step; the rest is the workflow's own cost per run.

    python bench/bench_batch.py [N] [RUNS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from llmport import Agent, Usage, tool  # noqa: E402
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn  # noqa: E402
from llmport.agent.tools import ToolRegistry  # noqa: E402
from llmport.batch import LocalExecutor, run_batch  # noqa: E402
from llmport.domain.messages import UserMessage  # noqa: E402
from llmport.durable import InProcessSteps, RunSpec, drive  # noqa: E402


@tool
def lookup(n: int) -> str:
    """Look a number up."""
    return f"found {n}"


def script(n: int) -> list[ScriptedTurn]:
    return [
        ScriptedTurn.tool_calls(("lookup", {"n": n}), usage=Usage(10, 2)),
        ScriptedTurn.text(f"answer {n}", usage=Usage(20, 3)),
    ]


@dataclass(frozen=True)
class Conversations:
    """The agent factory (sent to Ray's workers by value: this module is ``__main__``)."""

    def __call__(self, run_id: str) -> Agent:
        return Agent(ScriptedAdapter(script(int(run_id))), tools=[lookup])


async def batch(n: int, out: Path, executor: object | None) -> tuple[float, int]:
    started = time.perf_counter()
    ok = 0
    async for record in run_batch(
        Conversations(),
        ["go"] * n,
        out_dir=out,
        executor=executor,  # type: ignore[arg-type]
        resume=False,
    ):
        ok += record.ok
    return time.perf_counter() - started, ok


def batch_table(n: int) -> None:
    rows: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        seconds, ok = asyncio.run(batch(n, Path(tmp) / "local", LocalExecutor(concurrency=256)))
        rows.append(("LocalExecutor (asyncio, 256 at once)", seconds, ok))

        import ray

        from llmport.ray import RayExecutor

        started = time.perf_counter()
        ray.init(
            num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False
        )
        startup = time.perf_counter() - started
        for actors, per_actor in ((2, 64), (2, 256)):
            executor = RayExecutor(actors=actors, per_actor_concurrency=per_actor)
            seconds, ok = asyncio.run(batch(n, Path(tmp) / f"ray{per_actor}", executor))
            rows.append((f"Ray, {actors} async actors x {per_actor}", seconds, ok))
        ray.shutdown()
    base = rows[0][1]
    print(f"\n{n:,} scripted conversations (2 turns + 1 tool call each), with their files\n")
    print("| executor | runs ok | seconds | runs/s | time vs local |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, ok in rows:
        print(f"| {name} | {ok:,} | {seconds:.2f} | {n / seconds:,.0f} | {seconds / base:.2f}x |")
    print(f"\nRay start-up (ray.init, 2 CPUs), not included above: {startup:.1f} s")


def wide_script(n: int, calls: int) -> list[ScriptedTurn]:
    batch = [("lookup", {"n": n + i}, f"call_{i}") for i in range(calls)]
    return [
        ScriptedTurn.tool_calls(*batch, usage=Usage(10, 2)),
        ScriptedTurn.text(f"answer {n}", usage=Usage(20, 3)),
    ]


async def durable_runs(runs: int, calls: int, url: str) -> tuple[float, float]:
    """Seconds for ``runs`` runs of 2 turns + ``calls`` tool calls: no engine, then DBOS."""
    from llmport.dbos import DurableAgent, launch, shutdown

    tools = ToolRegistry([lookup])
    spec = RunSpec("scripted", tools=tuple(tools.list_tools()))
    started = time.perf_counter()
    for i in range(runs):
        port = ScriptedAdapter(wide_script(i, calls))
        await drive(str(i), spec, [UserMessage("go")], InProcessSteps(lambda _, p=port: p, tools))
    plain = time.perf_counter() - started

    ports: dict[str, ScriptedAdapter] = {}
    agent = DurableAgent(
        f"bench-{calls}", model="scripted", tools=tools, resolve=lambda _: ports["current"]
    )
    launch(url)
    try:
        started = time.perf_counter()
        for i in range(runs):
            ports["current"] = ScriptedAdapter(wide_script(i, calls))
            await agent.run("go", run_id=f"bench-{calls}-{i}")
        durable = time.perf_counter() - started
    finally:
        shutdown()
        agent.forget()
    return plain, durable


async def bare_dbos(runs: int, shapes: tuple[int, ...], url: str) -> list[float]:
    """Seconds per workflow of k trivial DBOS steps, for each k in ``shapes`` (no llmport)."""
    from dbos import DBOS, SetWorkflowID, StepOptions

    from llmport.dbos import launch, shutdown

    async def nothing(i: int) -> str:
        return f"r{i}"

    @DBOS.workflow(name="bench.bare")
    async def bare(k: int) -> str:
        for i in range(k):
            await DBOS.run_step_async(StepOptions(name="bare"), nothing, i)
        return "done"

    launch(url)
    out: list[float] = []
    try:
        for k in shapes:
            started = time.perf_counter()
            for j in range(runs):
                with SetWorkflowID(f"bare-{k}-{j}"):
                    handle = await DBOS.start_workflow_async(bare, k)
                await handle.get_result()
            out.append((time.perf_counter() - started) / runs)
    finally:
        shutdown()
    return out


def dbos_table(runs: int) -> None:
    shapes = (1, 21)
    rows: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for calls in shapes:
            url = f"sqlite:///{Path(tmp) / f'b{calls}.sqlite'}"
            plain, durable = asyncio.run(durable_runs(runs, calls, url))
            rows.append((calls + 2, plain / runs, durable / runs))
        bare = asyncio.run(
            bare_dbos(runs, tuple(c + 2 for c in shapes), f"sqlite:///{Path(tmp) / 'bare.sqlite'}")
        )
    print(f"\n{runs} durable runs of each shape, one after the other (DBOS on SQLite)\n")
    print("| steps per run | ms per run, no engine | ms per run, DBOS | DBOS vs no engine |")
    print("|---:|---:|---:|---:|")
    for steps, plain, durable in rows:
        print(f"| {steps} | {1000 * plain:.2f} | {1000 * durable:.2f} | {durable / plain:.1f}x |")
    (few, plain_few, dbos_few), (many, plain_many, dbos_many) = rows
    per_step = ((dbos_many - plain_many) - (dbos_few - plain_few)) / (many - few)
    per_run = (dbos_few - plain_few) - few * per_step
    bare_step = (bare[1] - bare[0]) / (many - few)
    print(f"\nDBOS adds {1000 * per_step:.2f} ms per step and {1000 * per_run:.2f} ms per run")
    print("(the workflow's own start and end) on SQLite.")
    print(
        f"DBOS alone (trivial steps, no llmport): {1000 * bare_step:.2f} ms per step, "
        f"{1000 * (bare[0] - few * bare_step):.2f} ms per run; llmport's steps cost "
        f"{per_step / bare_step:.2f}x a trivial one."
    )


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    batch_table(n)
    dbos_table(runs)
