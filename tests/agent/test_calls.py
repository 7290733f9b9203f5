"""``execute_call``: one call, one result answering it, whatever the tool or the approver does."""

from __future__ import annotations

import asyncio

from llmport import ToolCall, ToolMessage, tool
from llmport.agent.calls import execute_call
from llmport.agent.tools import ToolRegistry
from llmport.domain.redaction import register_secret


@tool
async def slow() -> str:
    """Sleeps."""
    await asyncio.sleep(10)
    return "late"


@tool
def leak() -> str:
    """Echoes a secret."""
    return "the key is sk-calls-sentinel-0123456789abcdef"


class Misnaming:
    """An executor that answers with the wrong id and name, or raises."""

    def list_tools(self) -> list[object]:
        return []

    async def execute(self, call: ToolCall) -> ToolMessage:
        if call.name == "raise":
            raise KeyError("broken executor")
        return ToolMessage("other-id", "fine", False, "other-name")


async def test_denied_timed_out_and_broken_calls_are_error_results() -> None:
    tools = ToolRegistry([slow])
    denied = await execute_call(
        tools, ToolCall("c1", "slow", {}), tool_timeout=1, approve=lambda _: False
    )
    assert denied.is_error and "not approved" in denied.content

    async def later(_: ToolCall) -> bool:
        return True

    timed_out = await execute_call(
        tools, ToolCall("c2", "slow", {}), tool_timeout=0.01, approve=later
    )
    assert timed_out.is_error and "ToolTimeout" in timed_out.content
    broken = await execute_call(Misnaming(), ToolCall("c3", "raise", {}), tool_timeout=1)  # type: ignore[arg-type]
    assert broken.is_error and "KeyError" in broken.content


async def test_the_result_answers_the_call_and_carries_no_secret() -> None:
    answered = await execute_call(Misnaming(), ToolCall("c4", "any", {}), tool_timeout=1)  # type: ignore[arg-type]
    assert (answered.tool_call_id, answered.name, answered.content) == ("c4", "any", "fine")
    register_secret("sk-calls-sentinel-0123456789abcdef")
    clean = await execute_call(ToolRegistry([leak]), ToolCall("c5", "leak", {}), tool_timeout=1)
    assert "sk-calls-sentinel" not in clean.content
