"""ScriptedAdapter: a real port that replays turns through the same guard as every adapter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn, from_model_string
from llmport.core.guard import GuardedStream
from llmport.core.raw import END, Finish
from llmport.domain.errors import (
    AuthenticationError,
    LlmConnectionError,
    LlmError,
    RateLimitError,
    StreamTruncatedError,
)
from llmport.domain.events import (
    Done,
    FinishReason,
    LlmStreamEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ReasoningPart,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition
from llmport.ports import LlmCompletionPort

HI = [UserMessage("hi")]


async def run(
    adapter: ScriptedAdapter,
    messages: Sequence[AgentMessage] = tuple(HI),
    tools: Sequence[ToolDefinition] = (),
) -> list[Any]:
    stream = await adapter.chat_stream(messages, tools)
    async with stream:
        return [event async for event in stream]


async def collect(stream: GuardedStream) -> tuple[list[LlmStreamEvent], LlmError | None]:
    events: list[LlmStreamEvent] = []
    try:
        async for event in stream:
            events.append(event)
    except LlmError as error:
        return events, error
    return events, None


def test_is_a_port() -> None:
    assert isinstance(ScriptedAdapter(), LlmCompletionPort)


async def test_turns_are_replayed_in_order() -> None:
    adapter = ScriptedAdapter(
        [ScriptedTurn.text("first"), ScriptedTurn.text("second", chunk=2), [TextDelta("3"), END]]
    )
    assert adapter.remaining == 3
    first = await run(adapter)
    assert first[0] == TextDelta("first")
    assert isinstance(first[-1], Done)
    assert first[-1].message == AssistantMessage("first")
    second = await run(adapter)
    assert second[:-1] == [TextDelta("se"), TextDelta("co"), TextDelta("nd")]
    assert second[-1].message.text == "second"
    third = await run(adapter)
    assert third[-1].finish_reason is FinishReason.STOP
    assert third[-1].raw_finish_reason is None  # a raw END without Finish
    assert adapter.remaining == 0


async def test_done_becomes_finish_usage_and_end() -> None:
    usage = Usage(12, 3)
    adapter = ScriptedAdapter(
        [
            [
                TextDelta("ok"),
                Done(
                    FinishReason.LENGTH,
                    "max_tokens",
                    usage,
                    AssistantMessage("ignored"),
                    stop_sequence=None,
                    detail="cut",
                    response_id="r1",
                    model="m",
                ),
                TextDelta("never"),
            ]
        ]
    )
    events = await run(adapter)
    assert events[0] == TextDelta("ok")
    done = events[-1]
    assert len(events) == 2
    assert isinstance(done, Done)
    # The message is assembled by the guard from the deltas, not taken from the script.
    assert done.message == AssistantMessage("ok")
    assert (done.finish_reason, done.raw_finish_reason, done.usage) == (
        FinishReason.LENGTH,
        "max_tokens",
        usage,
    )
    assert (done.detail, done.response_id, done.model) == ("cut", "r1", "m")


async def test_text_turn_with_reasoning_and_usage() -> None:
    usage = Usage(5, 7, reasoning_tokens=4)
    adapter = ScriptedAdapter(
        [ScriptedTurn.text("answer", reasoning="thinking", usage=usage)], provider="fake"
    )
    events = await run(adapter)
    assert events[:2] == [ReasoningDelta("thinking"), TextDelta("answer")]
    done = events[-1]
    assert done.usage == usage
    assert done.raw_finish_reason == "stop"
    assert done.message.reasoning == (ReasoningPart("thinking", provider="fake"),)


async def test_empty_text_turn_is_a_done_with_an_empty_message() -> None:
    events = await run(ScriptedAdapter([ScriptedTurn.text("")]))
    assert len(events) == 1
    assert events[0].message == AssistantMessage()


async def test_tool_call_turn() -> None:
    adapter = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(
                ("search", {"q": "cats"}), ("now", {}, "my_id"), text="Looking.", usage=Usage(1, 2)
            )
        ]
    )
    events = await run(adapter)
    assert events[0] == TextDelta("Looking.")
    assert isinstance(events[1], ToolCallDelta)
    done = events[-1]
    assert done.finish_reason is FinishReason.TOOL_CALLS
    assert done.message.tool_calls == (
        ToolCall("call_0", "search", {"q": "cats"}),
        ToolCall("my_id", "now", {}),
    )
    assert done.usage == Usage(1, 2)


async def test_calls_are_recorded() -> None:
    adapter = ScriptedAdapter([ScriptedTurn.text("a"), ScriptedTurn.text("b")])
    tool = ToolDefinition("f", "does f")
    first = [SystemMessage("sys"), UserMessage("q")]
    await run(adapter, first, [tool])
    second = [*first, AssistantMessage("a"), ToolMessage("c", "r")]
    await run(adapter, second, [])
    assert [c.messages for c in adapter.calls] == [tuple(first), tuple(second)]
    assert [c.tools for c in adapter.calls] == [(tool,), ()]
    # The record is a snapshot, not the caller's (mutable) list.
    first.append(UserMessage("later"))
    assert len(adapter.calls[0].messages) == 2


async def test_error_after_n_events() -> None:
    error = LlmConnectionError("reset")
    turn = ScriptedTurn.failing(error, after=[TextDelta("a"), TextDelta("b")])
    adapter = ScriptedAdapter([turn], provider="fake")
    stream = await adapter.chat_stream(HI, [])
    events, raised = await collect(stream)
    assert events == [TextDelta("a"), TextDelta("b")]
    assert raised is error
    assert error.after_output is True
    assert error.provider == "fake"
    assert adapter.closed_streams == 1


async def test_error_after_zero_events_is_before_output() -> None:
    error = RateLimitError("429", retry_after=2.0)
    adapter = ScriptedAdapter([ScriptedTurn.failing(error)])
    events, raised = await collect(await adapter.chat_stream(HI, []))
    assert events == []
    assert raised is error
    assert error.after_output is False


async def test_error_in_the_middle_of_a_script_with_done() -> None:
    error = LlmConnectionError("reset")
    turn = ScriptedTurn(
        (TextDelta("a"), TextDelta("b"), ScriptedTurn.text("x").events[-1]),
        error=error,
        error_after=1,
    )
    events, raised = await collect(await ScriptedAdapter([turn]).chat_stream(HI, []))
    assert events == [TextDelta("a")]
    assert raised is error


async def test_start_error_is_raised_by_chat_stream() -> None:
    error = AuthenticationError("bad key", status_code=401)
    adapter = ScriptedAdapter([ScriptedTurn(start_error=error), ScriptedTurn.text("ok")])
    with pytest.raises(AuthenticationError) as caught:
        await adapter.chat_stream(HI, [])
    assert caught.value is error
    assert len(adapter.calls) == 1  # the attempt is recorded
    events = await run(adapter)  # the next turn plays normally
    assert events[-1].message.text == "ok"


async def test_pause_between_events() -> None:
    turn = ScriptedTurn((TextDelta("a"), TextDelta("b"), TextDelta("c"), END), pause=0.02)
    adapter = ScriptedAdapter([turn])
    started = time.monotonic()
    events = await run(adapter)
    elapsed = time.monotonic() - started
    assert [type(e) for e in events] == [TextDelta, TextDelta, TextDelta, Done]
    assert elapsed >= 0.05  # three pauses between four events (none before the first)


async def test_pause_lets_a_consumer_cancel_mid_stream() -> None:
    adapter = ScriptedAdapter([ScriptedTurn((TextDelta("a"), TextDelta("b"), END), pause=10)])
    stream = await adapter.chat_stream(HI, [])
    assert await stream.__anext__() == TextDelta("a")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(stream.__anext__(), 0.05)
    assert adapter.closed_streams == 1  # the cancelled read closed the scripted source


async def test_script_exhausted() -> None:
    adapter = ScriptedAdapter([ScriptedTurn.text("only")], provider="fake")
    await run(adapter)
    with pytest.raises(LlmError, match=r"the script has no turn left \(it had 1\)") as caught:
        await adapter.chat_stream(HI, [])
    assert caught.value.provider == "fake"
    assert len(adapter.calls) == 2


async def test_a_script_without_done_is_a_truncated_stream() -> None:
    adapter = ScriptedAdapter([[TextDelta("partial"), Finish(FinishReason.STOP, "stop")]])
    events, raised = await collect(await adapter.chat_stream(HI, []))
    assert events == [TextDelta("partial")]
    assert isinstance(raised, StreamTruncatedError)
    assert raised.after_output is True
    assert raised.provider == "scripted"


async def test_add_appends_turns() -> None:
    adapter = ScriptedAdapter()
    adapter.add(ScriptedTurn.text("a"))
    adapter.add([TextDelta("b"), END])
    assert adapter.remaining == 2
    assert (await run(adapter))[-1].message.text == "a"
    assert (await run(adapter))[-1].message.text == "b"


async def test_closing_early_closes_the_scripted_source() -> None:
    adapter = ScriptedAdapter([ScriptedTurn.text("abcdef", chunk=1)])
    stream = await adapter.chat_stream(HI, [])
    async with stream:
        await stream.__anext__()
    assert adapter.closed_streams == 1
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


def test_from_model_string() -> None:
    adapter = from_model_string("ignored", turns=[ScriptedTurn.text("x")], provider="p")
    assert adapter.provider == "p"
    assert adapter.remaining == 1
    assert from_model_string("").remaining == 0
