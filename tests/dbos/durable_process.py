"""A process that runs one durable agent run to its end and prints the outcome as JSON.

    python durable_process.py DB_URL SERVER_URL RUN_ID WORK_DIR

The model is ``openai:gpt-test`` at SERVER_URL (a loopback server the test runs; the key comes
from OPENAI_API_KEY in this process's environment). Tools count their executions in files in
WORK_DIR; ``crash`` kills this process with SIGKILL the first time it runs (a marker file makes
it harmless afterwards), which is how the test dies between two steps. ``pay`` needs approval.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from llmport import AgentError, connect, tool
from llmport.dbos import DurableAgent, launch, shutdown
from llmport.durable import idempotency_key


def main() -> None:
    database, server, run_id, work = sys.argv[1:5]
    work_dir = Path(work)

    def note(name: str) -> int:
        path = work_dir / f"{name}.count"
        key = idempotency_key()
        with path.open("a", encoding="utf-8") as file:
            file.write(f"{key} {os.getpid()}\n")
        return len(path.read_text().splitlines())

    @tool
    def count() -> str:
        """Count this call."""
        return f"counted {note('count')}"

    @tool
    def crash() -> str:
        """Die the first time."""
        marker = work_dir / "crashed"
        if not marker.exists():
            marker.write_text("1")
            os.kill(os.getpid(), signal.SIGKILL)
        return "survived"

    @tool
    def pay(amount: int) -> str:
        """Pay an amount."""
        note("pay")
        return f"paid {amount}"

    agent = DurableAgent(
        "test-agent",
        model="openai:gpt-test",
        tools=[count, crash, pay],
        needs_approval=["pay"],
        resolve=lambda model: connect(model, base_url=server + "/v1"),
        max_attempts=1,
    )

    async def go() -> dict[str, object]:
        launch(database)
        try:
            result = await agent.run("do the thing", run_id=run_id)
        except AgentError as error:
            return {"error": type(error).__name__, "message": error.message}
        finally:
            shutdown()
        return {
            "text": result.text,
            "turns": result.turns,
            "transcript": [m.role for m in result.transcript],
            "tool_results": [
                m.content
                for m in result.transcript
                if m.role == "tool"  # type: ignore[union-attr]
            ],
        }

    outcome = asyncio.run(go())
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
