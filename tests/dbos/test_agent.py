"""DBOS for real, on SQLite, across processes: a run killed with SIGKILL after its first model
turn and first tool call resumes in a new process to the same final answer, with no model
request and no tool execution repeated; a run paused for approval, its process killed, is
approved from another process (this one) and resumed. The model is a loopback
OpenAI-compatible SSE server that counts requests; the tools count executions in files."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from tests.support.fake_server import FakeServer, Reply, sse

pytest.importorskip("dbos", reason="the dbos extra is not installed")

from llmport.dbos import approve, pending_approval  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("durable_process.py")
KEY = "sk-durable-sentinel-0123456789abcdef"


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    chunks: list[dict[str, Any]] = [
        {
            "id": "c",
            "model": "gpt-test",
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": f"call_{i}",
                                "type": "function",
                                "function": {"name": name, "arguments": json.dumps(arguments)},
                            }
                        ]
                    },
                    "finish_reason": None,
                }
            ],
        }
        for i, (name, arguments) in enumerate(calls)
    ]
    chunks.append(
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    )
    return Reply(body=sse(*chunks))


def answer(text: str) -> Reply:
    return Reply(
        body=sse(
            {
                "id": "c",
                "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
            },
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        )
    )


async def run_process(
    tmp_path: Path, server: FakeServer, run_id: str, database: str, work: Path
) -> tuple[int, dict[str, Any] | None, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(OPENAI_API_KEY=KEY, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'src'}")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), database, server.url, run_id, str(work),
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    lines = out.decode().strip().splitlines()
    outcome = json.loads(lines[-1]) if lines else None
    return process.returncode or 0, outcome, err.decode()


def counted(work: Path, name: str) -> list[str]:
    path = work / f"{name}.count"
    return path.read_text().splitlines() if path.exists() else []


async def test_a_run_killed_after_a_turn_and_a_tool_resumes_without_repeating_them(
    tmp_path: Path,
) -> None:
    async with FakeServer() as server:
        # An uninterrupted run first (the crash tool's marker already there), for reference.
        reference = tmp_path / "reference"
        reference.mkdir()
        (reference / "crashed").write_text("1")
        server.add(tool_calls(("count", {}), ("crash", {})), answer("the answer is 42"))
        code, expected, err = await run_process(
            tmp_path, server, "run-ref", f"sqlite:///{tmp_path / 'ref.sqlite'}", reference
        )
        assert code == 0, err
        assert expected is not None and expected["text"] == "the answer is 42"

        work = tmp_path / "work"
        work.mkdir()
        database = f"sqlite:///{tmp_path / 'durable.sqlite'}"
        server.add(tool_calls(("count", {}), ("crash", {})), answer("the answer is 42"))
        code, outcome, err = await run_process(tmp_path, server, "run-1", database, work)
        assert code == -signal.SIGKILL, err  # died in its second tool call
        assert outcome is None
        assert len(server.requests) == 3  # the reference's two, and this run's first turn
        assert [line.split()[0] for line in counted(work, "count")] == ["run-1/1/call_0"]

        code, outcome, err = await run_process(tmp_path, server, "run-1", database, work)
        assert code == 0, err
        assert outcome == expected  # the same answer, the same transcript, the same results
        assert len(server.requests) == 4  # only the second turn was requested again
        assert len(counted(work, "count")) == 1  # the finished tool call did not run again
        follow_up = server.requests[3].json()["messages"]
        assert [m["role"] for m in follow_up] == ["user", "assistant", "tool", "tool"]
        assert follow_up[2]["content"] == "counted 1"
        assert follow_up[3]["content"] == "survived"
        # The key went only into the Authorization header: never into the checkpoints.
        assert KEY.encode() not in (tmp_path / "durable.sqlite").read_bytes()
        assert all(r.headers.get("authorization") == f"Bearer {KEY}" for r in server.requests)


async def test_an_approval_pause_survives_its_process_and_is_approved_from_another(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    database = f"sqlite:///{tmp_path / 'durable.sqlite'}"
    async with FakeServer() as server:
        server.add(tool_calls(("pay", {"amount": 5})), answer("paid, thank you"))
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(OPENAI_API_KEY=KEY, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'src'}")
        waiting = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), database, server.url, "pay-1", str(work),
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        pending = None
        for _ in range(600):  # bounded: at most about a minute
            try:
                pending = await asyncio.to_thread(
                    pending_approval, "pay-1", system_database_url=database
                )
            except OperationalError:  # the process has not created DBOS's tables yet
                pending = None
            if pending is not None or waiting.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert pending is not None, "the run never asked for approval"
        assert (pending.run_id, pending.turn, pending.call.name) == ("pay-1", 1, "pay")
        assert pending.call.arguments == {"amount": 5}
        assert counted(work, "pay") == []  # nothing paid before the decision

        waiting.send_signal(signal.SIGKILL)  # the paused run's process dies
        await waiting.wait()
        await asyncio.to_thread(approve, pending, system_database_url=database)

        code, outcome, err = await run_process(tmp_path, server, "pay-1", database, work)
        assert code == 0, err
        assert outcome is not None
        assert outcome["text"] == "paid, thank you"
        assert outcome["tool_results"] == ["paid 5"]
        assert [line.split()[0] for line in counted(work, "pay")] == ["pay-1/1/call_0"]
        assert len(server.requests) == 2  # the first turn was not requested again
        assert (
            await asyncio.to_thread(pending_approval, "pay-1", system_database_url=database) is None
        )
