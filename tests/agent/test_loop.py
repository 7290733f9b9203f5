"""The agent loop, over the scripted port: every behaviour the foundation issue lists."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from llmport import (
    Agent,
    AgentError,
    AgentReasoningDelta,
    AgentTextDelta,
    Done,
    FinishReason,
    LlmError,
    RateLimitError,
    RunFinished,
    StreamTruncatedError,
    SystemMessage,
    TextDelta,
    Tool,
    ToolCallDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolMessage,
    TurnFinished,
    Usage,
    UserMessage,
    tool,
)
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.domain.messages import AssistantMessage


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def call_turn(*calls: tuple[str, dict[str, Any]], usage: Usage | None = None) -> ScriptedTurn:
    return ScriptedTurn.tool_calls(*calls, usage=usage)


async def collect(agent: Agent, prompt: str = "go") -> list[Any]:
    async with agent.stream(prompt) as events:
        return [event async for event in events]


def waits_forever(cancelled: asyncio.Event, started: asyncio.Event | None = None) -> Tool:
    """A tool named ``wait`` that never returns and sets ``cancelled`` when cancelled."""

    @tool
    async def wait() -> str:
        """Waits forever."""
        if started is not None:
            started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    return wait


# --- the happy path -------------------------------------------------------------------------


async def test_run_returns_final_message_transcript_usage_turns_and_reason() -> None:
    port = ScriptedAdapter(
        [
            call_turn(("add", {"a": 2, "b": 3}), usage=Usage(10, 5)),
            ScriptedTurn.text("It is 5.", usage=Usage(20, 4, cached_input_tokens=8)),
        ]
    )
    result = await Agent(port, tools=[add]).run("What is 2 + 3?")
    assert result.text == "It is 5."
    assert result.turns == 2
    assert result.finish_reason is FinishReason.STOP
    assert result.usage == Usage(30, 9, cached_input_tokens=8)
    roles = [m.role for m in result.transcript]
    assert roles == ["user", "assistant", "tool", "assistant"]
    tool_message = result.transcript[2]
    assert isinstance(tool_message, ToolMessage)
    assert (tool_message.content, tool_message.is_error, tool_message.name) == ("5", False, "add")
    assert tool_message.tool_call_id == "call_0"


async def test_system_prompt_and_tools_are_sent_every_turn() -> None:
    port = ScriptedAdapter([call_turn(("add", {"a": 1, "b": 1})), ScriptedTurn.text("2")])
    await Agent(port, tools=[add], system="Be terse.").run([UserMessage("1+1?")])
    assert len(port.calls) == 2
    for call in port.calls:
        assert call.messages[0] == SystemMessage("Be terse.")
        assert [t.name for t in call.tools] == ["add"]
    # the second request replays the assistant turn and the tool result
    assert [m.role for m in port.calls[1].messages] == ["system", "user", "assistant", "tool"]


async def test_stream_yields_deltas_tool_events_turns_and_run_finished_in_order() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn(
                (
                    TextDelta("Let me add. "),
                    ToolCallDelta(0, "c1", "add", '{"a": 1,'),
                    ToolCallDelta(0, None, None, ' "b": 2}'),
                    Done(FinishReason.TOOL_CALLS, "tool_calls", Usage(3, 2), AssistantMessage()),
                )
            ),
            ScriptedTurn.text("Three.", chunk=3, reasoning="1+2=3", usage=Usage(4, 1)),
        ]
    )
    events = await collect(Agent(port, tools=[add]))
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "AgentTextDelta",
        "TurnFinished",
        "ToolCallStarted",
        "ToolCallFinished",
        "AgentReasoningDelta",
        "AgentTextDelta",
        "AgentTextDelta",
        "TurnFinished",
        "RunFinished",
    ]
    assert events[0] == AgentTextDelta("Let me add. ", 1)
    started, finished = events[2], events[3]
    assert isinstance(started, ToolCallStarted) and started.call.arguments == {"a": 1, "b": 2}
    assert isinstance(finished, ToolCallFinished)
    assert finished.result.content == "3" and finished.duration >= 0 and finished.turn == 1
    assert events[4] == AgentReasoningDelta("1+2=3", 2)
    first_turn = events[1]
    assert isinstance(first_turn, TurnFinished) and first_turn.usage == Usage(3, 2)
    assert isinstance(events[-1], RunFinished) and events[-1].result.text == "Three."
    # every event serialises for --json output
    for event in events:
        json.dumps(event.to_dict())


# --- tools: concurrency, order, failures ------------------------------------------------------


async def test_tools_of_a_turn_run_concurrently_bounded_and_results_keep_call_order() -> None:
    running = 0
    peak = 0
    finished_order: list[int] = []

    @tool
    async def slow(n: int) -> str:
        """Sleep less for larger n."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01 * (6 - n))
        running -= 1
        finished_order.append(n)
        return f"done {n}"

    calls = [("slow", {"n": n}) for n in range(6)]
    port = ScriptedAdapter([call_turn(*calls), ScriptedTurn.text("ok")])
    result = await Agent(port, tools=[slow], max_parallel_tools=3).run("go")
    assert peak == 3
    assert finished_order != sorted(finished_order)  # they really finished out of order
    results = [m for m in result.transcript if isinstance(m, ToolMessage)]
    assert [m.content for m in results] == [f"done {n}" for n in range(6)]
    assert [m.tool_call_id for m in results] == [f"call_{n}" for n in range(6)]


async def test_tool_timeout_gives_an_error_result_and_leaves_no_task_behind() -> None:
    cancelled = asyncio.Event()
    port = ScriptedAdapter([call_turn(("wait", {})), ScriptedTurn.text("gave up")])
    before = set(asyncio.all_tasks())
    result = await Agent(port, tools=[waits_forever(cancelled)], tool_timeout=0.05).run("go")
    message = result.transcript[2]
    assert isinstance(message, ToolMessage) and message.is_error
    assert message.content.startswith("ToolTimeout: 'wait' did not finish within 0.05 s")
    assert cancelled.is_set()
    assert set(asyncio.all_tasks()) - before == set()


async def test_failing_unknown_and_invalid_calls_become_error_results_and_the_loop_goes_on() -> (
    None
):
    @tool
    def boom() -> str:
        """Fails."""
        raise ValueError("bad things /secret/path")

    port = ScriptedAdapter(
        [
            call_turn(("boom", {}), ("nope", {}), ("add", {"a": "x", "b": 1}), ("add", {"c": 1})),
            ScriptedTurn.text("sorry"),
        ]
    )
    result = await Agent(port, tools=[boom, add]).run("go")
    assert result.text == "sorry"
    errors = [m for m in result.transcript if isinstance(m, ToolMessage)]
    assert all(m.is_error for m in errors)
    assert errors[0].content == "ValueError: bad things /secret/path"
    assert "Traceback" not in errors[0].content
    assert errors[1].content == "unknown tool 'nope'; available: add, boom"
    assert errors[2].content.startswith("invalid arguments for 'add': a:")
    assert "c: Extra inputs are not permitted" in errors[3].content
    assert "b: Field required" in errors[3].content


async def test_approval_hook_can_deny_a_call() -> None:
    ran = []

    @tool
    def delete(path: str) -> str:
        """Deletes a file."""
        ran.append(path)
        return "deleted"

    async def approve(call: Any) -> bool:
        return call.name != "delete"

    port = ScriptedAdapter([call_turn(("delete", {"path": "/etc"})), ScriptedTurn.text("ok")])
    result = await Agent(port, tools=[delete], approve=approve).run("go")
    assert ran == []
    message = result.transcript[2]
    assert isinstance(message, ToolMessage) and message.is_error
    assert "not approved" in message.content


async def test_large_and_odd_tool_outputs_are_serialised_and_capped() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)

    @tool
    def big() -> str:
        """Too much text."""
        return "x" * 200_000

    @tool
    def odd() -> Any:
        """A cyclic structure."""
        return cyclic

    @tool
    def data() -> dict[str, Any]:
        """Structured."""
        return {"b": b"bytes", "set": {1}, "n": 1.5}

    port = ScriptedAdapter(
        [call_turn(("big", {}), ("odd", {}), ("data", {})), ScriptedTurn.text("")]
    )
    result = await Agent(port, tools=[big, odd, data]).run("go")
    big_result, odd_result, data_result = (
        m for m in result.transcript if isinstance(m, ToolMessage)
    )
    assert len(big_result.content) == 64 * 1024
    assert big_result.content.endswith("[truncated: 200000 bytes in all]")
    assert odd_result.content == "[[...]]" and not odd_result.is_error
    assert json.loads(data_result.content) == {"b": "bytes", "set": [1], "n": 1.5}


# --- turns that must not run their tools ------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [('{"a": 1, "b"', FinishReason.LENGTH), ('{"a": 1,, }', FinishReason.TOOL_CALLS)],
)
async def test_cut_or_malformed_tool_calls_are_never_executed(
    arguments: str, reason: FinishReason
) -> None:
    ran = []

    @tool
    def record(a: int, b: int = 0) -> str:
        """Records."""
        ran.append((a, b))
        return "ok"

    turn = ScriptedTurn(
        (
            ToolCallDelta(0, "c1", "record", arguments),
            Done(reason, reason.value, Usage(1, 1), AssistantMessage()),
        )
    )
    port = ScriptedAdapter([turn, ScriptedTurn.text("never asked")])
    with pytest.raises(AgentError.IncompleteToolCalls) as caught:
        await Agent(port, tools=[record]).run("go")
    assert ran == []
    assert len(port.calls) == 1
    expected = (
        FinishReason.LENGTH if reason is FinishReason.LENGTH else FinishReason.MALFORMED_TOOL_CALL
    )
    assert caught.value.finish_reason is expected
    assert caught.value.calls[0].complete is False
    assert caught.value.usage == Usage(1, 1)
    assert [m.role for m in caught.value.transcript] == ["user", "assistant"]


# --- failures of the run ----------------------------------------------------------------------


async def test_port_error_mid_stream_is_agent_internal_with_the_typed_cause() -> None:
    error = RateLimitError("slow down", status_code=429, retry_after=2.0)
    port = ScriptedAdapter(
        [
            call_turn(("add", {"a": 1, "b": 2}), usage=Usage(5, 5)),
            ScriptedTurn.failing(error, after=[TextDelta("partial")]),
        ]
    )
    seen: list[Any] = []
    with pytest.raises(AgentError.Internal) as caught:
        async with Agent(port, tools=[add]).stream("go") as events:
            async for event in events:
                seen.append(event)
    assert caught.value.__cause__ is error
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert error.after_output is True and error.provider == "scripted"
    assert AgentTextDelta("partial", 2) in seen
    assert caught.value.turns == 2
    assert caught.value.usage == Usage(5, 5)
    assert [m.role for m in caught.value.transcript] == ["user", "assistant", "tool"]


async def test_request_that_cannot_start_is_agent_internal() -> None:
    error = LlmError("refused", provider="scripted", status_code=401)
    port = ScriptedAdapter([ScriptedTurn(start_error=error)])
    with pytest.raises(AgentError.Internal) as caught:
        await Agent(port).run("hi")
    assert caught.value.__cause__ is error
    assert isinstance(caught.value, AgentError)


async def test_truncated_stream_is_agent_internal() -> None:
    port = ScriptedAdapter([ScriptedTurn((TextDelta("half"),))])
    with pytest.raises(AgentError.Internal) as caught:
        await Agent(port).run("hi")
    assert isinstance(caught.value.__cause__, StreamTruncatedError)
    assert caught.value.__cause__.after_output is True


async def test_max_turns_ends_the_run_with_the_partial_transcript() -> None:
    port = ScriptedAdapter([call_turn(("add", {"a": n, "b": 0})) for n in range(5)])
    with pytest.raises(AgentError.MaxTurnsExceeded) as caught:
        await Agent(port, tools=[add], max_turns=3).run("go")
    assert caught.value.turns == 3
    assert len(port.calls) == 3
    assert [m.role for m in caught.value.transcript].count("tool") == 3


async def test_the_same_tool_batch_repeated_loop_limit_times_is_a_loop() -> None:
    port = ScriptedAdapter([call_turn(("add", {"a": 1, "b": 1})) for _ in range(5)])
    with pytest.raises(AgentError.LoopDetected) as caught:
        await Agent(port, tools=[add], loop_limit=3).run("go")
    assert caught.value.turns == 3
    # the third identical batch is not executed
    assert [m.role for m in caught.value.transcript].count("tool") == 2


async def test_different_batches_are_not_a_loop() -> None:
    turns = [call_turn(("add", {"a": n, "b": 1})) for n in range(4)]
    port = ScriptedAdapter([*turns, ScriptedTurn.text("done")])
    result = await Agent(port, tools=[add], loop_limit=2).run("go")
    assert result.turns == 5


# --- cancellation -----------------------------------------------------------------------------


async def test_leaving_agent_stream_mid_answer_closes_the_model_stream() -> None:
    port = ScriptedAdapter([ScriptedTurn.text("a b c d e f", chunk=2)])
    async with Agent(port).stream("go") as events:
        async for event in events:
            assert isinstance(event, AgentTextDelta)
            break
    assert port.closed_streams == 1
    with pytest.raises(StopAsyncIteration):
        await events.__anext__()


async def test_cancelling_the_run_cancels_running_tools() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()
    wait = waits_forever(cancelled, started)
    port = ScriptedAdapter([call_turn(("wait", {})), ScriptedTurn.text("never")])
    task = asyncio.create_task(Agent(port, tools=[wait], tool_timeout=None).run("go"))
    await asyncio.wait_for(started.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert port.closed_streams == 1
    assert len(port.calls) == 1


async def test_cancelling_during_a_slow_model_stream_closes_it() -> None:
    port = ScriptedAdapter([ScriptedTurn((*(TextDelta(str(i)) for i in range(100)),), pause=0.05)])
    task = asyncio.create_task(Agent(port).run("go"))
    await asyncio.sleep(0.12)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert port.closed_streams == 1


def test_agent_rejects_nonsense_limits() -> None:
    port = ScriptedAdapter()
    with pytest.raises(ValueError, match="max_turns"):
        Agent(port, max_turns=0)
    with pytest.raises(ValueError, match="max_parallel_tools"):
        Agent(port, max_parallel_tools=0)
    with pytest.raises(ValueError, match="loop_limit"):
        Agent(port, loop_limit=1)


async def test_leaving_agent_stream_while_tools_run_cancels_them_before_it_returns() -> None:
    cancelled = asyncio.Event()
    wait = waits_forever(cancelled)
    port = ScriptedAdapter([call_turn(("wait", {})), ScriptedTurn.text("never")])
    before = set(asyncio.all_tasks())
    async with Agent(port, tools=[wait], tool_timeout=None).stream("go") as events:
        async for event in events:
            if isinstance(event, ToolCallStarted):
                break
    # Cancelled by the time the block is left, not later by the garbage collector.
    assert cancelled.is_set()
    assert set(asyncio.all_tasks()) - before == set()


async def test_a_tool_that_raises_cancelled_error_itself_is_an_error_result() -> None:
    @tool
    async def quits() -> str:
        """Raises CancelledError without being cancelled."""
        raise asyncio.CancelledError

    port = ScriptedAdapter(
        [call_turn(("quits", {}), ("add", {"a": 1, "b": 2})), ScriptedTurn.text("ok")]
    )
    result = await asyncio.wait_for(Agent(port, tools=[quits, add]).run("go"), 5)
    assert result.text == "ok"
    first, second = (m for m in result.transcript if isinstance(m, ToolMessage))
    assert first.is_error and first.content.startswith("CancelledError")
    assert second.content == "3"


async def test_a_timeout_error_raised_by_the_tool_itself_is_not_reported_as_a_tool_timeout() -> (
    None
):
    @tool
    def fetch() -> str:
        """Fails with its own timeout."""
        raise TimeoutError("connect timed out")

    for agent_timeout in (None, 30.0):
        port = ScriptedAdapter([call_turn(("fetch", {})), ScriptedTurn.text("ok")])
        result = await Agent(port, tools=[fetch], tool_timeout=agent_timeout).run("go")
        message = result.transcript[2]
        assert isinstance(message, ToolMessage) and message.is_error
        assert message.content == "TimeoutError: connect timed out"


async def test_an_executor_that_raises_cancelled_error_or_timeout_error_gives_error_results() -> (
    None
):
    class Breaking:
        def list_tools(self) -> list[Any]:
            return []

        async def execute(self, call: Any) -> ToolMessage:
            if call.name == "cancel":
                raise asyncio.CancelledError
            raise TimeoutError

    port = ScriptedAdapter([call_turn(("cancel", {}), ("timeout", {})), ScriptedTurn.text("ok")])
    result = await asyncio.wait_for(Agent(port, tools=Breaking()).run("go"), 5)
    contents = [m.content for m in result.transcript if isinstance(m, ToolMessage)]
    assert contents == ["CancelledError", "TimeoutError"]


class _RawFailingPort:
    """A third-party port that breaks the contract: it raises its library's own exceptions."""

    def __init__(self, *, at_start: bool) -> None:
        self.at_start = at_start

    async def chat_stream(self, messages: Any, tools: Any) -> Any:
        if self.at_start:
            raise ConnectionResetError("peer reset")
        inner = ScriptedAdapter([ScriptedTurn.text("never used")])
        stream = await inner.chat_stream(messages, tools)

        class Breaks:
            async def __aenter__(self) -> Any:
                return self

            async def __aexit__(self, *exc: object) -> None:
                await stream.aclose()

            def __aiter__(self) -> Any:
                return self

            async def __anext__(self) -> Any:
                raise KeyError("choices")

            async def aclose(self) -> None:
                await stream.aclose()

        return Breaks()


@pytest.mark.parametrize("at_start", [True, False])
async def test_a_port_raising_a_raw_exception_is_still_agent_internal(at_start: bool) -> None:
    with pytest.raises(AgentError.Internal) as caught:
        await Agent(_RawFailingPort(at_start=at_start)).run("hi")
    cause = caught.value.__cause__
    assert isinstance(cause, ConnectionResetError if at_start else KeyError)
    assert "broke its contract" in caught.value.message
    assert [m.role for m in caught.value.transcript] == ["user"]


async def test_options_are_sent_on_every_turn_and_the_default_call_has_two_arguments() -> None:
    from llmport import CallOptions

    options = CallOptions(temperature=0.2, max_tokens=50)
    port = ScriptedAdapter([call_turn(("add", {"a": 1, "b": 1})), ScriptedTurn.text("2")])
    await Agent(port, tools=[add], options=options).run("1+1?")
    assert [call.options for call in port.calls] == [options, options]
    plain = ScriptedAdapter([ScriptedTurn.text("hi")])
    await Agent(plain).run("hi")
    assert plain.calls[0].options is None
    mapped = ScriptedAdapter([ScriptedTurn.text("hi")])
    await Agent(mapped, options={"temperature": 0.5}).run("hi")
    assert mapped.calls[0].options == CallOptions(temperature=0.5)


async def test_a_two_argument_port_still_works_without_options() -> None:
    class TwoArguments:
        def __init__(self) -> None:
            self.inner = ScriptedAdapter([ScriptedTurn.text("ok")])

        async def chat_stream(self, messages: Any, tools: Any) -> Any:
            return await self.inner.chat_stream(messages, tools)

    result = await Agent(TwoArguments()).run("hi")  # type: ignore[arg-type]
    assert result.text == "ok"


# --- the tool task's own failures and the injectable clock ---------------------------------------


class ClockBroken(RuntimeError):
    pass


def broken_clock() -> float:
    raise ClockBroken("the sandbox forbids the wall clock")


async def test_a_tool_task_failing_outside_the_tool_ends_the_run_with_a_typed_error() -> None:
    port = ScriptedAdapter([call_turn(("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4}))])
    agent = Agent(port, tools=[add], clock=broken_clock)
    # The guard only turns a regression (the old hang) into a failure; the run ends at once.
    async with asyncio.timeout(10):
        with pytest.raises(AgentError.Internal) as caught:
            await agent.run("go")
    assert isinstance(caught.value.__cause__, ClockBroken)
    assert "outside the tool" in str(caught.value)
    assert caught.value.turns == 1
    assert isinstance(caught.value.transcript[-1], AssistantMessage)  # the partial run is kept


async def test_the_clock_failing_after_the_tool_ran_still_ends_the_run() -> None:
    readings = iter([1.0])  # the start is read; reading the finish raises

    def clock() -> float:
        try:
            return next(readings)
        except StopIteration:
            raise ClockBroken("gone") from None

    ran: list[int] = []

    @tool
    def record(x: int) -> int:
        """Record x."""
        ran.append(x)
        return x

    agent = Agent(ScriptedAdapter([call_turn(("record", {"x": 7}))]), tools=[record], clock=clock)
    async with asyncio.timeout(10):
        with pytest.raises(AgentError.Internal) as caught:
            await agent.run("go")
    assert ran == [7]
    assert isinstance(caught.value.__cause__, ClockBroken)


async def test_tool_durations_come_from_the_injected_clock() -> None:
    readings = iter([10.0, 12.5])
    port = ScriptedAdapter([call_turn(("add", {"a": 1, "b": 2})), ScriptedTurn.text("3")])
    agent = Agent(port, tools=[add], clock=lambda: next(readings))
    events = await collect(agent)
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [e.duration for e in finished] == [2.5]
