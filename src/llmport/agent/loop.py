"""The agent loop: ask the model, run the tools it calls, repeat until it answers.

It sees only the ports (``LlmCompletionPort``, ``ToolExecutorPort``) and the domain, never HTTP.
What it guarantees:

- the tools of one turn run concurrently (at most ``max_parallel_tools`` at once), each under
  ``tool_timeout``; their results go back in call order, exactly one per call;
- a tool that raises, times out, is unknown, gets invalid arguments or is denied by ``approve``
  becomes an error result for the model (short, no traceback) and the loop goes on;
- tool calls of a turn that did not end in ``TOOL_CALLS`` (cut by ``LENGTH``, malformed ...) are
  never executed: the run ends with ``AgentError.IncompleteToolCalls``;
- a port failure ends the run with ``AgentError.Internal`` (the typed ``LlmError`` is its
  ``__cause__``; a port that raises anything else is wrapped the same way); ``max_turns``
  ends it with ``AgentError.MaxTurnsExceeded``; the same tool batch ``loop_limit`` times in a
  row with ``AgentError.LoopDetected``; every error keeps the partial transcript and usage;
- a tool task that fails outside the tool's own handling (the injected ``clock`` raising ...)
  ends the run with ``AgentError.Internal`` (the exception is its ``__cause__``), never a hang;
- cancelling the run (task cancellation, leaving ``agent.stream``) cancels running tools and
  closes the model stream. Sync tools run in threads and cannot be killed; they are abandoned.

Tool output is untrusted data: it is capped and passed to the model as text, and it cannot
change the tools, limits or credentials of the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeAlias

from llmport.agent.calls import Approver, execute_call
from llmport.agent.errors import (
    AgentInternalError,
)
from llmport.agent.events import (
    AgentEvent,
    AgentReasoningDelta,
    AgentTextDelta,
    RunFinished,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from llmport.agent.rules import RunLedger
from llmport.agent.tools import (
    Tool,
    ToolRegistry,
)
from llmport.domain.errors import LlmError, StreamTruncatedError
from llmport.domain.events import (
    Done,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.options import CallOptions
from llmport.ports import LlmCompletionPort, ToolExecutorPort

__all__ = ["Agent", "AgentResult", "AgentRun", "Approver", "Prompt"]

Prompt: TypeAlias = str | Sequence[AgentMessage]


@dataclass(frozen=True)
class AgentResult:
    """A finished run: the final message, the whole conversation and what it cost."""

    message: AssistantMessage
    transcript: tuple[AgentMessage, ...]
    usage: Usage
    turns: int
    finish_reason: FinishReason

    @property
    def text(self) -> str:
        return self.message.text


class Agent:
    """Drives a model port and a set of tools until the model answers."""

    def __init__(
        self,
        port: LlmCompletionPort,
        *,
        tools: ToolExecutorPort | Iterable[Tool | Callable[..., Any]] | None = None,
        system: str | None = None,
        max_turns: int = 20,
        max_parallel_tools: int = 4,
        tool_timeout: float | None = 60.0,
        loop_limit: int = 3,
        approve: Approver | None = None,
        options: CallOptions | Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        if max_parallel_tools < 1:
            raise ValueError("max_parallel_tools must be at least 1")
        if loop_limit < 2:
            raise ValueError("loop_limit must be at least 2")
        self.port = port
        if tools is None:
            self.tools: ToolExecutorPort = ToolRegistry()
        elif isinstance(tools, ToolExecutorPort):
            self.tools = tools
        else:
            self.tools = ToolRegistry(tools)
        self.system = system
        self.max_turns = max_turns
        self.max_parallel_tools = max_parallel_tools
        self.tool_timeout = tool_timeout
        self.loop_limit = loop_limit
        self.approve = approve
        self.options = CallOptions.coerce(options)
        """Per-call options sent with every turn (None: the port's defaults)."""
        self.clock = clock
        """Measures tool durations (seconds); injectable for sandboxes that forbid the clock."""

    def __repr__(self) -> str:
        return f"Agent(port={type(self.port).__name__}, max_turns={self.max_turns})"

    async def run(self, prompt: Prompt) -> AgentResult:
        """Run to the end and return the result (or raise ``AgentError``)."""
        async with self.stream(prompt) as events:
            async for event in events:
                if isinstance(event, RunFinished):
                    return event.result
        raise AssertionError("an agent run ended without RunFinished")  # pragma: no cover

    def stream(self, prompt: Prompt) -> AgentRun:
        """An async context manager yielding the run's events as they happen."""
        if isinstance(prompt, str):
            messages: list[AgentMessage] = [UserMessage(prompt)]
        else:
            messages = list(prompt)
        return AgentRun(self._run(messages))

    # --- the loop ----------------------------------------------------------------------------

    async def _run(self, transcript: list[AgentMessage]) -> AsyncIterator[AgentEvent]:
        definitions = list(self.tools.list_tools())
        prefix: list[AgentMessage] = [SystemMessage(self.system)] if self.system else []
        ledger = RunLedger(transcript, max_turns=self.max_turns, loop_limit=self.loop_limit)
        fail = ledger.fail

        while True:
            turns = ledger.start_turn()
            done: Done | None = None
            try:
                history = [*prefix, *transcript]
                if self.options is None:  # the two-argument call every port accepts
                    stream = await self.port.chat_stream(history, definitions)
                else:
                    stream = await self.port.chat_stream(history, definitions, options=self.options)
                async with stream:
                    async for event in stream:
                        if isinstance(event, TextDelta):
                            yield AgentTextDelta(event.text, turns)
                        elif isinstance(event, ReasoningDelta):
                            if event.text:
                                yield AgentReasoningDelta(event.text, turns)
                        elif isinstance(event, ToolCallDelta):
                            pass  # announced once complete, when it starts running
                        else:
                            done = event
            except LlmError as error:
                raise fail(AgentInternalError, f"the model failed: {error}") from error
            except Exception as error:  # a port that breaks the contract (only LlmError)
                raise fail(
                    AgentInternalError,
                    f"the model port broke its contract: {type(error).__name__}: {error}",
                ) from error
            if done is None:
                cause = StreamTruncatedError("the model stream ended without Done")
                raise fail(AgentInternalError, str(cause)) from cause

            message = ledger.record(done)
            yield TurnFinished(turns, done.finish_reason, done.usage, message)

            calls = message.tool_calls
            if not calls:
                result = AgentResult(
                    message, tuple(transcript), ledger.usage, turns, done.finish_reason
                )
                yield RunFinished(result)
                return
            ledger.check_calls(done)

            # Results go back in call order, exactly one per call, whatever order they finish in.
            position = {id(call): i for i, call in enumerate(calls)}
            results: list[ToolMessage | None] = [None] * len(calls)
            # aclosing: leaving the run mid-batch cancels the tools now, not at garbage collection.
            try:
                async with aclosing(self._run_tools(calls, turns)) as tool_events:
                    async for tool_event in tool_events:
                        if isinstance(tool_event, ToolCallFinished):
                            results[position[id(tool_event.call)]] = tool_event.result
                        yield tool_event
            except _ToolTaskFailure as failure:
                raise fail(
                    AgentInternalError,
                    f"the task running tool {failure.call.name!r} failed outside the tool: "
                    f"{failure}",
                ) from failure.__cause__
            transcript.extend(r for r in results if r is not None)

    async def _run_tools(
        self, calls: Sequence[ToolCall], turn: int
    ) -> AsyncGenerator[ToolCallStarted | ToolCallFinished, None]:
        """Run a batch concurrently (bounded); yield each call's start and finish.

        Every path out of a call's task reports: its finish, or the exception that ended it
        outside the tool's own handling (a failing clock, a broken approver wrapper ...), which
        ends the run with ``_ToolTaskFailure`` instead of leaving the batch waiting forever.
        """
        limit = asyncio.Semaphore(self.max_parallel_tools)
        events: asyncio.Queue[ToolCallStarted | ToolCallFinished | _ToolTaskFailure] = (
            asyncio.Queue()
        )
        clock = self.clock

        async def one(call: ToolCall) -> None:
            try:
                async with limit:
                    events.put_nowait(ToolCallStarted(call, turn))
                    started = clock()
                    result = await self._execute(call)
                    events.put_nowait(ToolCallFinished(call, result, clock() - started, turn))
            except Exception as error:
                events.put_nowait(_ToolTaskFailure(call, error))

        tasks = [asyncio.create_task(one(call)) for call in calls]
        try:
            finished = 0
            while finished < len(calls):
                event = await events.get()
                if isinstance(event, _ToolTaskFailure):
                    raise event
                if isinstance(event, ToolCallFinished):
                    finished += 1
                yield event
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _execute(self, call: ToolCall) -> ToolMessage:
        """One call's result (see ``agent.calls.execute_call``): every failure is an error
        result, every registered secret is scrubbed from it."""
        return await execute_call(
            self.tools, call, tool_timeout=self.tool_timeout, approve=self.approve
        )


class _ToolTaskFailure(Exception):
    """A tool task ended by an exception outside the tool's own handling (``__cause__``)."""

    def __init__(self, call: ToolCall, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.call = call
        self.__cause__ = error


class AgentRun:
    """``agent.stream(...)``: iterate the events inside ``async with``; leaving closes the run."""

    def __init__(self, events: AsyncIterator[AgentEvent]) -> None:
        self._events = events
        self._closed = False

    def __aiter__(self) -> AgentRun:
        return self

    async def __anext__(self) -> AgentEvent:
        if self._closed:
            raise StopAsyncIteration
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the run: running tools are cancelled and the model stream is closed."""
        self._closed = True
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AgentRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
