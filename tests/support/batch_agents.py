"""Scripted agents for batch tests: a deterministic conversation per run id, with tools.

Run ``i`` asks the ``lookup`` tool for ``i`` and answers ``answer i``. By design some fail:
``i % 10 == 7`` ends with a rate limit on the second turn (a failed run), ``i % 10 == 3`` has
a tool that raises (an error result for the model; the run still answers). ``log`` (a file)
gets one line per tool execution, so a test can see which runs were executed and how often,
even when they ran in other processes. Picklable, so Ray can ship it to its workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from llmport import Agent, RateLimitError, Usage, tool
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn


def index_of(run_id: str) -> int:
    return int(run_id.rsplit("-", 1)[-1])


def expected_text(run_id: str) -> str:
    return f"answer {index_of(run_id)}"


def fails_by_design(run_id: str) -> bool:
    return index_of(run_id) % 10 == 7


@dataclass(frozen=True)
class ScriptedBatchAgent:
    log: str | None = None
    pause: float = 0.0

    def __call__(self, run_id: str) -> Agent:
        n = index_of(run_id)
        log = self.log

        @tool
        def lookup(n: int) -> str:
            """Look a number up."""
            if log is not None:
                with open(log, "a", encoding="utf-8") as file:
                    file.write(f"{run_id} {os.getpid()}\n")
            if n % 10 == 3:
                raise RuntimeError("lookup failed by design")
            return f"found {n}"

        second = (
            ScriptedTurn.failing(RateLimitError("slow down", provider="scripted"))
            if n % 10 == 7
            else ScriptedTurn.text(f"answer {n}", usage=Usage(20, 3))
        )
        first = ScriptedTurn.tool_calls(("lookup", {"n": n}), usage=Usage(10, 2))
        if self.pause:
            first = ScriptedTurn(first.events, pause=self.pause)
        return Agent(ScriptedAdapter([first, second]), tools=[lookup])
