"""``drive``: the agent loop over durable steps, for any engine that can run a step.

The loop's rules are the in-process ``Agent``'s: ``max_turns``, the same tool batch
``loop_limit`` times in a row, tool calls of a turn that did not end in ``TOOL_CALLS`` never
run, results in call order, one per call; every failure an ``AgentError`` keeping the partial
transcript. What differs is that each model turn and each tool call goes through a
``StepRunner`` whose output an engine checkpoints, and that the tool calls of a turn run one
after the other, in call order: a replay after a crash then meets the steps in the order they
were first started, which is what an engine needs to match checkpoints to steps.

Everything the loop decides from (the transcript, the turn count) is rebuilt from step outputs,
so replaying ``drive`` with recorded outputs reaches the same state without calling anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from llmport.agent.calls import Approver
from llmport.agent.errors import (
    AgentInternalError,
)
from llmport.agent.loop import AgentResult
from llmport.agent.rules import RunLedger
from llmport.agent.tools import error_result
from llmport.domain.errors import LlmError
from llmport.domain.messages import AgentMessage, SystemMessage, ToolCall, ToolMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition
from llmport.durable.keys import StepKey
from llmport.durable.steps import (
    ModelResolver,
    ModelTurn,
    done_from_json,
    model_turn_step,
    tool_call_step,
    tool_message_from_json,
)
from llmport.ports import ToolExecutorPort

__all__ = ["InProcessSteps", "RunSpec", "StepRunner", "drive"]


@dataclass(frozen=True)
class RunSpec:
    """What a durable run is: all of it plain data, the same on every worker."""

    model: str
    system: str | None = None
    options: CallOptions | None = None
    tools: tuple[ToolDefinition, ...] = ()
    max_turns: int = 20
    loop_limit: int = 3
    needs_approval: frozenset[str] = field(default_factory=frozenset)
    """Names of the tools whose calls wait for an approve / deny decision."""

    def __post_init__(self) -> None:
        if self.max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        if self.loop_limit < 2:
            raise ValueError("loop_limit must be at least 2")


class StepRunner(Protocol):
    """How an engine runs (and checkpoints) the steps of one run."""

    async def model_turn(self, key: StepKey, payload: str) -> str:
        """``ModelTurn`` JSON in, ``Done`` JSON out; raises the turn's ``LlmError``."""
        ...

    async def tool_call(self, key: StepKey, payload: str) -> str:
        """``ToolCall`` JSON in, ``ToolMessage`` JSON out."""
        ...

    async def approval(self, key: StepKey, call: ToolCall) -> bool:
        """Wait for the decision on ``call`` (a tool listed in ``needs_approval``)."""
        ...


async def drive(
    run_id: str,
    spec: RunSpec,
    messages: Sequence[AgentMessage],
    steps: StepRunner,
    *,
    on_step: Callable[[StepKey, str], None] | None = None,
) -> AgentResult:
    """Run the agent loop over ``steps`` and return the result (or raise ``AgentError``).

    ``on_step(key, output)`` is called after each step with its JSON output (on a replay too).
    """
    transcript: list[AgentMessage] = list(messages)
    prefix: list[AgentMessage] = [SystemMessage(spec.system)] if spec.system else []
    ledger = RunLedger(transcript, max_turns=spec.max_turns, loop_limit=spec.loop_limit)

    while True:
        turns = ledger.start_turn()
        key = StepKey(run_id, turns)
        payload = ModelTurn(spec.model, (*prefix, *transcript), spec.tools, spec.options)
        try:
            output = await steps.model_turn(key, payload.to_json())
        except LlmError as error:
            raise ledger.fail(AgentInternalError, f"the model failed: {error}") from error
        if on_step is not None:
            on_step(key, output)
        done = done_from_json(output)
        message = ledger.record(done)

        calls = message.tool_calls
        if not calls:
            return AgentResult(message, tuple(transcript), ledger.usage, turns, done.finish_reason)
        ledger.check_calls(done)
        for call in calls:  # one after the other, in call order (see the module docstring)
            key = StepKey(run_id, turns, call.id)
            if call.name in spec.needs_approval and not await steps.approval(key, call):
                result: ToolMessage = error_result(
                    call, f"the call to {call.name!r} was not approved"
                )
            else:
                output = await steps.tool_call(key, json.dumps(call.to_dict()))
                if on_step is not None:
                    on_step(key, output)
                result = tool_message_from_json(output)
            transcript.append(result)


class InProcessSteps:
    """A ``StepRunner`` with no engine: each step runs once, here, and nothing is recorded.

    The reference the engines are tested against (a durable run must end exactly as this one
    does), and a way to run a ``RunSpec`` without a database.
    """

    def __init__(
        self,
        resolve: ModelResolver,
        tools: ToolExecutorPort,
        *,
        tool_timeout: float | None = 60.0,
        approve: Approver | None = None,
    ) -> None:
        self.resolve = resolve
        self.tools = tools
        self.tool_timeout = tool_timeout
        self.approve = approve

    async def model_turn(self, key: StepKey, payload: str) -> str:
        return await model_turn_step(payload, self.resolve)

    async def tool_call(self, key: StepKey, payload: str) -> str:
        return await tool_call_step(payload, key, self.tools, tool_timeout=self.tool_timeout)

    async def approval(self, key: StepKey, call: ToolCall) -> bool:
        if self.approve is None:
            return False
        verdict = self.approve(call)
        if not isinstance(verdict, bool):
            verdict = await verdict
        return verdict
