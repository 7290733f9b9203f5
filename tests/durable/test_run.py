"""``drive``: the loop over steps ends exactly as the in-process ``Agent`` does, and a replay of
recorded step outputs reaches the same result without running anything."""

from __future__ import annotations

from typing import Any

import pytest

from llmport import Agent, AgentError, RateLimitError, ToolCall, Usage, UserMessage, tool
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.agent.tools import ToolRegistry
from llmport.domain.events import FinishReason, TextDelta
from llmport.durable import InProcessSteps, RunSpec, StepKey, drive


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def script() -> list[ScriptedTurn]:
    return [
        ScriptedTurn.tool_calls(
            ("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4}, "call_x"), usage=Usage(5, 2)
        ),
        ScriptedTurn.tool_calls(("add", {"a": 3, "b": 7}), usage=Usage(9, 1)),
        ScriptedTurn.text("3, 7 and 10", usage=Usage(12, 4)),
    ]


def spec_for(tools: ToolRegistry, **kwargs: Any) -> RunSpec:
    return RunSpec("scripted", tools=tuple(tools.list_tools()), **kwargs)


async def test_drive_ends_exactly_as_the_agent_loop() -> None:
    tools = ToolRegistry([add])
    expected = await Agent(ScriptedAdapter(script()), tools=tools, system="be exact").run("go")
    port = ScriptedAdapter(script())
    steps = InProcessSteps(lambda _: port, tools)
    result = await drive("run-1", spec_for(tools, system="be exact"), [UserMessage("go")], steps)
    assert result.transcript == expected.transcript
    assert result.usage == expected.usage == Usage(26, 7)
    assert result.turns == expected.turns == 3
    assert result.text == "3, 7 and 10"
    assert port.calls[0].messages[0].role == "system"


class Recorder:
    """Runs steps through ``inner`` once and records them; replays the records afterwards."""

    def __init__(self, inner: InProcessSteps) -> None:
        self.inner = inner
        self.records: dict[StepKey, str] = {}
        self.order: list[StepKey] = []
        self.executed = 0

    async def model_turn(self, key: StepKey, payload: str) -> str:
        return await self._step(key, lambda: self.inner.model_turn(key, payload))

    async def tool_call(self, key: StepKey, payload: str) -> str:
        return await self._step(key, lambda: self.inner.tool_call(key, payload))

    async def approval(self, key: StepKey, call: ToolCall) -> bool:
        return await self.inner.approval(key, call)

    async def _step(self, key: StepKey, run: Any) -> str:
        self.order.append(key)
        if key not in self.records:
            self.executed += 1
            self.records[key] = await run()
        return self.records[key]


async def test_a_replay_of_recorded_steps_runs_nothing_and_ends_the_same() -> None:
    tools = ToolRegistry([add])
    recorder = Recorder(InProcessSteps(lambda _: ScriptedAdapter(script()[:0]), tools))
    port = ScriptedAdapter(script())
    recorder.inner.resolve = lambda _: port
    first = await drive("r", spec_for(tools), [UserMessage("go")], recorder)
    assert recorder.executed == 6  # 3 model turns, 3 tool calls
    assert [str(k) for k in recorder.order] == [
        "r/1/model", "r/1/call_0", "r/1/call_x", "r/2/model", "r/2/call_0", "r/3/model",
    ]  # fmt: skip
    recorder.order.clear()
    again = await drive("r", spec_for(tools), [UserMessage("go")], recorder)
    assert recorder.executed == 6
    assert len(port.calls) == 3
    assert again.transcript == first.transcript
    assert len(recorder.order) == 6


async def test_a_model_failure_is_an_internal_agent_error_with_the_typed_cause() -> None:
    limited = RateLimitError("slow down", provider="scripted")
    port = ScriptedAdapter([ScriptedTurn.failing(limited, after=[TextDelta("x")])])
    steps = InProcessSteps(lambda _: port, ToolRegistry())
    with pytest.raises(AgentError.Internal) as caught:
        await drive("r", RunSpec("scripted"), [UserMessage("go")], steps)
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert caught.value.turns == 1


async def test_limits_end_the_run_like_the_loop() -> None:
    tools = ToolRegistry([add])
    same = [ScriptedTurn.tool_calls(("add", {"a": 1, "b": 1})) for _ in range(5)]
    steps = InProcessSteps(lambda _: port, tools)
    port = ScriptedAdapter(same)
    with pytest.raises(AgentError.LoopDetected):
        await drive("r", spec_for(tools, loop_limit=3), [UserMessage("go")], steps)
    port = ScriptedAdapter([ScriptedTurn.tool_calls(("add", {"a": i, "b": 1})) for i in range(5)])
    with pytest.raises(AgentError.MaxTurnsExceeded) as caught:
        await drive("r", spec_for(tools, max_turns=2), [UserMessage("go")], steps)
    assert caught.value.turns == 2
    port = ScriptedAdapter([ScriptedTurn.tool_calls(("add", {"a": 1}), reason=FinishReason.LENGTH)])
    with pytest.raises(AgentError.IncompleteToolCalls):
        await drive("r", spec_for(tools), [UserMessage("go")], steps)


async def test_a_tool_needing_approval_runs_only_when_approved() -> None:
    ran: list[int] = []

    @tool
    def pay(amount: int) -> str:
        """Pay."""
        ran.append(amount)
        return "paid"

    tools = ToolRegistry([pay])
    turns = [
        ScriptedTurn.tool_calls(("pay", {"amount": 1}), ("pay", {"amount": 2}, "c2")),
        ScriptedTurn.text("done"),
    ]
    port = ScriptedAdapter(turns)
    steps = InProcessSteps(lambda _: port, tools, approve=lambda call: call.id == "c2")
    spec = spec_for(tools, needs_approval=frozenset({"pay"}))
    result = await drive("r", spec, [UserMessage("go")], steps)
    assert ran == [2]
    denied, approved = result.transcript[2], result.transcript[3]
    assert denied.is_error and "not approved" in denied.content  # type: ignore[union-attr]
    assert approved.content == "paid"  # type: ignore[union-attr]


def test_a_spec_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        RunSpec("m", max_turns=0)
    with pytest.raises(ValueError, match="loop_limit"):
        RunSpec("m", loop_limit=1)
