"""``DurableAgent``: an agent run as a DBOS workflow of model-turn and tool-call steps.

    agent = DurableAgent("support", model="openai:gpt-4o-mini", tools=[lookup, refund],
                         needs_approval=["refund"])
    launch()                      # DBOS on SQLite (llmport_dbos.sqlite) unless told otherwise
    result = await agent.run("Where is my order 42?", run_id="ticket-42")

Each model turn and each tool call is a DBOS step whose output (JSON) is checkpointed in the
system database. If the process dies, the next process that creates the same agents and calls
``launch()`` resumes the run at its first unfinished step: finished model turns are not
requested again, finished tool calls are not run again. The same ``run_id`` attaches to the run
(finished: its recorded outcome; in progress: waits for it); it never starts a second one.

A tool listed in ``needs_approval`` pauses the run durably: the workflow publishes the call
(``pending_approval``) and waits for an approve / deny message, which any process may send
(``approve``; or ``llmport.dbos.client`` without launching DBOS). A denied call is an error
result for the model.

Retries: a model turn is retried by DBOS (``max_attempts``, exponential backoff) only when its
``LlmError`` is ``retryable``; a tool call is never retried (a failing tool is an error result
for the model). The model string is in the checkpoints; the key never is: the port is built on
the worker, in its own environment, for every model turn (``resolve``; by default ``connect``
with the adapter's own retries off, so DBOS's are the only ones), and closed after it, so that
recovery on another thread or event loop finds no stale connection.

Create every ``DurableAgent`` before ``launch()`` so that the runs DBOS recovers at launch
find their agent by name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from dbos import DBOS, SetWorkflowID, StepOptions, WorkflowHandleAsync
from dbos import error as dbos_errors

from llmport.agent.errors import AgentError
from llmport.agent.loop import AgentResult, Prompt
from llmport.agent.tools import Tool, ToolRegistry
from llmport.domain.errors import LlmError
from llmport.domain.messages import (
    AgentMessage,
    ToolCall,
    UserMessage,
    messages_from_json,
    messages_to_json,
)
from llmport.domain.options import CallOptions
from llmport.durable import (
    RunSpec,
    StepKey,
    drive,
    model_turn_step,
    outcome_from_json,
    outcome_to_json,
    should_retry,
    tool_call_step,
)
from llmport.durable.steps import ModelResolver, connect_without_retries
from llmport.ports import LlmCompletionPort, ToolExecutorPort

__all__ = [
    "APPROVAL_EVENT",
    "DurableAgent",
    "PendingApproval",
    "approval_topic",
    "launch",
    "shutdown",
]

APPROVAL_EVENT: Final = "llmport.approval"
"""The workflow event holding the call that waits for a decision (null when none waits)."""

DEFAULT_DATABASE: Final = "sqlite:///llmport_dbos.sqlite"

_AGENTS: dict[str, DurableAgent] = {}


def approval_topic(turn: int, call_id: str) -> str:
    """The message topic a decision on one call is sent to."""
    return f"llmport.approval:{turn}:{call_id}"


@dataclass(frozen=True)
class PendingApproval:
    """A tool call a durable run is waiting on."""

    run_id: str
    turn: int
    call: ToolCall

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "turn": self.turn, "call": self.call.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingApproval:
        return cls(str(data["run_id"]), int(data["turn"]), ToolCall.from_dict(data["call"]))


def launch(
    system_database_url: str | None = None, *, name: str = "llmport", log_level: str = "WARNING"
) -> None:
    """Configure and launch DBOS (SQLite in the working directory by default); recovers the
    runs a dead process left unfinished. Create the ``DurableAgent`` objects first."""
    DBOS(
        config={
            "name": name,
            "system_database_url": system_database_url or DEFAULT_DATABASE,
            "log_level": log_level,
        }
    )
    DBOS.launch()


def shutdown() -> None:
    """Stop DBOS in this process (runs in progress resume in the next one)."""
    DBOS.destroy()


@DBOS.workflow(name="llmport.durable_agent_run")
async def _agent_run(agent_name: str, messages: str) -> str:
    agent = _AGENTS.get(agent_name)
    if agent is None:
        raise LookupError(
            f"no DurableAgent named {agent_name!r} in this process: create it before launch()"
        )
    run_id = DBOS.workflow_id
    assert run_id is not None
    try:
        result = await drive(run_id, agent.spec, messages_from_json(messages), _DbosSteps(agent))
    except AgentError as error:
        return outcome_to_json(error)
    return outcome_to_json(result)


class _DbosSteps:
    """The ``StepRunner`` of a DBOS workflow: each step checkpointed by DBOS."""

    def __init__(self, agent: DurableAgent) -> None:
        self.agent = agent

    async def model_turn(self, key: StepKey, payload: str) -> str:
        agent = self.agent
        options = StepOptions(
            name="llmport.model_turn",
            retries_allowed=agent.max_attempts > 1,
            max_attempts=agent.max_attempts,
            interval_seconds=agent.retry_interval,
            backoff_rate=2.0,
            should_retry=should_retry,
        )
        try:
            output: str = await DBOS.run_step_async(options, agent.model_turn, payload)
        except dbos_errors.DBOSMaxStepRetriesExceeded as error:
            last = error.errors[-1] if error.errors else None
            if isinstance(last, LlmError):
                raise last from None
            raise
        return output

    async def tool_call(self, key: StepKey, payload: str) -> str:
        agent = self.agent
        output: str = await DBOS.run_step_async(
            StepOptions(name="llmport.tool_call"),
            tool_call_step,
            payload,
            key,
            agent.tools,
            tool_timeout=agent.tool_timeout,
        )
        return output

    async def approval(self, key: StepKey, call: ToolCall) -> bool:
        pending = PendingApproval(key.run_id, key.turn, call)
        await DBOS.set_event_async(APPROVAL_EVENT, pending.to_dict())
        decision = await DBOS.recv_async(
            approval_topic(key.turn, call.id), timeout_seconds=self.agent.approval_timeout
        )
        await DBOS.set_event_async(APPROVAL_EVENT, None)
        return isinstance(decision, Mapping) and decision.get("approved") is True


class DurableAgent:
    """An agent whose runs are DBOS workflows (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        model: str,
        tools: ToolExecutorPort | Iterable[Tool | Callable[..., Any]] | None = None,
        system: str | None = None,
        options: CallOptions | Mapping[str, Any] | None = None,
        max_turns: int = 20,
        loop_limit: int = 3,
        tool_timeout: float | None = 60.0,
        needs_approval: Collection[str] = (),
        approval_timeout: float = 7 * 24 * 3600.0,
        max_attempts: int = 3,
        retry_interval: float = 1.0,
        resolve: ModelResolver | None = None,
    ) -> None:
        if not name:
            raise ValueError("a DurableAgent needs a name")
        if name in _AGENTS:
            raise ValueError(f"a DurableAgent named {name!r} already exists in this process")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if tools is None:
            self.tools: ToolExecutorPort = ToolRegistry()
        elif isinstance(tools, ToolExecutorPort):
            self.tools = tools
        else:
            self.tools = ToolRegistry(tools)
        known = {d.name for d in self.tools.list_tools()}
        unknown = sorted(set(needs_approval) - known)
        if unknown:
            raise ValueError(f"needs_approval names no tool of this agent: {', '.join(unknown)}")
        self.name = name
        self.spec = RunSpec(
            model=model,
            system=system,
            options=CallOptions.coerce(options),
            tools=tuple(self.tools.list_tools()),
            max_turns=max_turns,
            loop_limit=loop_limit,
            needs_approval=frozenset(needs_approval),
        )
        self.tool_timeout = tool_timeout
        self.approval_timeout = approval_timeout
        self.max_attempts = max_attempts
        self.retry_interval = retry_interval
        self.resolve: ModelResolver = resolve if resolve is not None else connect_without_retries
        _AGENTS[name] = self

    def __repr__(self) -> str:
        return f"DurableAgent({self.name!r}, model={self.spec.model!r})"

    def forget(self) -> None:
        """Unregister this agent's name (its runs can no longer be resumed in this process)."""
        if _AGENTS.get(self.name) is self:
            del _AGENTS[self.name]

    async def model_turn(self, payload: str) -> str:
        """The model-turn step: a port built here for this turn, closed after it."""
        port: LlmCompletionPort | None = None

        def resolve(model: str) -> LlmCompletionPort:
            nonlocal port
            port = self.resolve(model)
            return port

        try:
            return await model_turn_step(payload, resolve)
        finally:
            close = getattr(port, "aclose", None)
            if close is not None:
                await close()

    async def _start(self, prompt: Prompt, run_id: str) -> WorkflowHandleAsync[str]:
        if not run_id:
            raise ValueError("a durable run needs a run_id")
        messages: list[AgentMessage] = (
            [UserMessage(prompt)] if isinstance(prompt, str) else list(prompt)
        )
        encoded = messages_to_json(messages)
        await self._check_same_run(run_id, encoded)
        with SetWorkflowID(run_id):
            return await DBOS.start_workflow_async(_agent_run, self.name, encoded)

    async def _check_same_run(self, run_id: str, encoded: str) -> None:
        """A ``run_id`` is an idempotency key: reusing it attaches to its run, but only for the
        same agent and the same prompt. Anything else is a caller's mistake that attaching
        would hide (the other prompt's answer returned as this one's), so it is refused."""
        status = await DBOS.get_workflow_status_async(run_id)
        if status is None:
            return
        inputs: Any = status.input
        started = tuple(inputs.get("args", ())) if isinstance(inputs, dict) else ()
        if started[:1] != (self.name,):
            raise ValueError(
                f"run {run_id!r} already exists for another durable agent, not {self.name!r}"
            )
        if started[1:] != (encoded,):
            raise ValueError(
                f"run {run_id!r} already exists with another prompt; attach with the same "
                "prompt, wait with result(run_id), or choose a new run_id"
            )

    async def start(self, prompt: Prompt, *, run_id: str) -> str:
        """Start the run ``run_id`` (or attach to it when it exists); returns ``run_id``."""
        await self._start(prompt, run_id)
        return run_id

    async def result(self, run_id: str) -> AgentResult:
        """Wait for the run's outcome: its result, or the ``AgentError`` it ended with."""
        handle: WorkflowHandleAsync[str] = await DBOS.retrieve_workflow_async(run_id)
        return outcome_from_json(await handle.get_result())

    async def run(self, prompt: Prompt, *, run_id: str) -> AgentResult:
        """Start (or attach to) the run ``run_id`` and wait for its outcome."""
        handle = await self._start(prompt, run_id)
        return outcome_from_json(await handle.get_result())

    async def pending_approval(self, run_id: str) -> PendingApproval | None:
        """The call the run is waiting on, if any (returns at once)."""
        value = await DBOS.get_event_async(run_id, APPROVAL_EVENT, timeout_seconds=0)
        return None if value is None else PendingApproval.from_dict(value)

    async def wait_for_approval(self, run_id: str, *, poll: float = 0.2) -> PendingApproval:
        """Wait until the run is waiting on a call, and return that call."""
        while True:
            pending = await self.pending_approval(run_id)
            if pending is not None:
                return pending
            await asyncio.sleep(poll)

    async def approve(self, pending: PendingApproval, approved: bool = True) -> None:
        """Approve (or deny) the call the run waits on; the run goes on."""
        await DBOS.send_async(
            pending.run_id,
            {"approved": approved},
            topic=approval_topic(pending.turn, pending.call.id),
        )
