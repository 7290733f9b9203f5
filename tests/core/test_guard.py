"""The guard: whatever an adapter's source does, the consumer sees the stream contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmport.core.guard import GuardedStream, guard
from llmport.core.raw import END, Finish, ProviderBlock, RawEvent, RefusalDelta, ResponseInfo
from llmport.domain.errors import (
    LlmConnectionError,
    LlmError,
    RateLimitError,
    StreamInBandError,
    StreamProtocolError,
    StreamTooLargeError,
    StreamTruncatedError,
    TimeoutIdleError,
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
from llmport.domain.messages import AssistantMessage, ReasoningPart, ToolCall
from llmport.ports import LlmEventStream


class Source:
    """An adapter's raw source: yields ``items`` then ends, raises, or waits; records closing."""

    def __init__(
        self,
        items: Iterable[object],
        *,
        raise_at_end: BaseException | None = None,
        wait_at: int | None = None,
    ) -> None:
        self.items = list(items)
        self.raise_at_end = raise_at_end
        self.wait_at = wait_at
        self.gate = asyncio.Event() if wait_at is not None else None
        self.pulled = 0
        self.closed = False
        self.waiting = False

    async def run(self) -> AsyncIterator[Any]:
        try:
            for position, item in enumerate(self.items):
                if position == self.wait_at and self.gate is not None:
                    self.waiting = True
                    await self.gate.wait()
                    self.waiting = False
                self.pulled += 1
                yield item
            if self.raise_at_end is not None:
                raise self.raise_at_end
        finally:
            self.closed = True

    def stream(self, provider: str = "test", **options: Any) -> GuardedStream:
        return guard(self.run(), provider=provider, **options)


async def drain(stream: GuardedStream) -> list[LlmStreamEvent]:
    return [event async for event in stream]


async def collect(stream: GuardedStream) -> tuple[list[LlmStreamEvent], LlmError | None]:
    """The events before the terminal, and the error if the stream ended with one."""
    events: list[LlmStreamEvent] = []
    try:
        async for event in stream:
            events.append(event)
    except LlmError as error:
        return events, error
    return events, None


async def assert_ended(stream: GuardedStream) -> None:
    for _ in range(3):
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()


async def wait_until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


# --- Done --------------------------------------------------------------------------------------


async def test_deltas_are_forwarded_then_one_done_last() -> None:
    source = Source(
        [
            ResponseInfo("resp_1", "m-1"),
            ReasoningDelta("hmm"),
            TextDelta("Hel"),
            TextDelta("lo"),
            ToolCallDelta(0, "c1", "f", '{"a":'),
            ToolCallDelta(0, None, None, "1}"),
            Finish(FinishReason.TOOL_CALLS, "tool_calls"),
            Usage(10, 5),
            END,
        ]
    )
    stream = source.stream("openai")
    events = await drain(stream)
    assert events[:-1] == [
        ReasoningDelta("hmm"),
        TextDelta("Hel"),
        TextDelta("lo"),
        ToolCallDelta(0, "c1", "f", '{"a":'),
        ToolCallDelta(0, None, None, "1}"),
    ]
    done = events[-1]
    assert done == Done(
        finish_reason=FinishReason.TOOL_CALLS,
        raw_finish_reason="tool_calls",
        usage=Usage(10, 5),
        message=AssistantMessage(
            text="Hello",
            tool_calls=(ToolCall("c1", "f", {"a": 1}),),
            reasoning=(ReasoningPart("hmm", provider="openai"),),
        ),
        response_id="resp_1",
        model="m-1",
    )
    assert source.closed
    assert stream.after_output
    await assert_ended(stream)


async def test_usage_after_finish_is_folded_and_latest_wins() -> None:
    source = Source(
        [TextDelta("x"), Usage(1, 1), Finish(FinishReason.STOP, "stop"), Usage(7, 3, 2, 1), END]
    )
    events = await drain(source.stream())
    assert events == [TextDelta("x"), events[-1]]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.usage == Usage(7, 3, 2, 1)


async def test_no_usage_is_none_not_zero() -> None:
    done = (await drain(Source([END]).stream()))[-1]
    assert isinstance(done, Done)
    assert done.usage is None


async def test_end_without_finish_is_stop_with_no_raw_reason() -> None:
    source = Source([TextDelta("hi"), END])
    done = (await drain(source.stream()))[-1]
    assert isinstance(done, Done)
    assert (done.finish_reason, done.raw_finish_reason) == (FinishReason.STOP, None)
    assert done.message == AssistantMessage("hi")


async def test_end_without_finish_promotes_tool_calls() -> None:
    done = (await drain(Source([ToolCallDelta(0, "c", "f", "{}"), END]).stream()))[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.TOOL_CALLS


async def test_stop_with_complete_calls_becomes_tool_calls() -> None:
    source = Source([ToolCallDelta(0, "c", "f", "{}"), Finish(FinishReason.STOP, "stop"), END])
    done = (await drain(source.stream()))[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.TOOL_CALLS
    assert done.raw_finish_reason == "stop"


async def test_length_cut_tool_call_is_done_not_an_error() -> None:
    source = Source(
        [ToolCallDelta(0, "c", "f", '{"a": "lo'), Finish(FinishReason.LENGTH, "max_tokens"), END]
    )
    done = (await drain(source.stream()))[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.LENGTH
    assert done.message.tool_calls[0].complete is False


async def test_finish_details_land_on_done() -> None:
    source = Source(
        [
            ProviderBlock({"type": "server_tool_use", "id": "s1"}),
            TextDelta("a"),
            ProviderBlock({"type": "web_search_tool_result", "id": "s2"}),
            ResponseInfo(id="msg_1"),
            ResponseInfo(id="msg_1", model="claude-x"),  # the latest wins
            Finish(FinishReason.STOP, "stop_sequence", stop_sequence="END", detail="why"),
            END,
        ]
    )
    done = (await drain(source.stream()))[-1]
    assert isinstance(done, Done)
    assert done.message.provider_blocks == (
        {"type": "server_tool_use", "id": "s1"},
        {"type": "web_search_tool_result", "id": "s2"},
    )
    assert (done.stop_sequence, done.detail) == ("END", "why")
    assert (done.response_id, done.model) == ("msg_1", "claude-x")


async def test_refusal_is_forwarded_as_text_and_marked_on_done() -> None:
    source = Source([RefusalDelta("I can't"), RefusalDelta(""), RefusalDelta(" help"), END])
    events = await drain(source.stream())
    assert events[:-1] == [TextDelta("I can't"), TextDelta(" help")]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.REFUSAL
    assert done.message.refusal == "I can't help"
    assert done.message.text == "I can't help"


async def test_empty_deltas_are_dropped() -> None:
    source = Source(
        [
            TextDelta(""),
            ReasoningDelta(""),
            ReasoningDelta("", index=3),
            RefusalDelta(""),
            ToolCallDelta(5),
            TextDelta("x"),
            END,
        ]
    )
    events = await drain(source.stream())
    assert events[0] == TextDelta("x")
    done = events[1]
    assert isinstance(done, Done)
    assert done.message == AssistantMessage("x")
    assert done.finish_reason is FinishReason.STOP


async def test_reasoning_with_only_opaque_data_is_forwarded() -> None:
    source = Source([ReasoningDelta(signature="sig"), ReasoningDelta(index=1, encrypted="e"), END])
    events = await drain(source.stream("anthropic"))
    assert events[:2] == [ReasoningDelta(signature="sig"), ReasoningDelta(index=1, encrypted="e")]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.message.reasoning == (
        ReasoningPart(signature="sig", provider="anthropic"),
        ReasoningPart(encrypted="e", provider="anthropic"),
    )


async def test_nothing_after_end_is_read_and_the_source_is_closed_at_once() -> None:
    source = Source([TextDelta("a"), END, TextDelta("late"), END])
    stream = source.stream()
    events = await drain(stream)
    assert [type(e) for e in events] == [TextDelta, Done]
    assert source.pulled == 2
    assert source.closed


# --- errors ------------------------------------------------------------------------------------


async def test_source_ending_without_end_is_truncated() -> None:
    source = Source([TextDelta("partial"), Finish(FinishReason.STOP, "stop"), Usage(1, 2)])
    stream = source.stream("ollama")
    events, error = await collect(stream)
    assert events == [TextDelta("partial")]
    assert isinstance(error, StreamTruncatedError)
    assert error.after_output is True
    assert error.provider == "ollama"
    assert error.retryable is True
    assert error.usage == Usage(1, 2)  # partial usage is kept on the error
    assert source.closed
    await assert_ended(stream)


async def test_a_failing_close_after_the_end_marker_still_delivers_done() -> None:
    class BadClose:
        def __init__(self) -> None:
            self.items: list[object] = [TextDelta("all"), END]

        def __aiter__(self) -> BadClose:
            return self

        async def __anext__(self) -> object:
            return self.items.pop(0)

        async def aclose(self) -> None:
            raise OSError("socket already gone")

    stream = guard(BadClose(), provider="p")  # type: ignore[arg-type]
    events = [event async for event in stream]
    assert isinstance(events[-1], Done)
    assert events[-1].message.text == "all"


async def test_truncated_before_any_output() -> None:
    stream = Source([Usage(1, 0), TextDelta(""), ResponseInfo("r")]).stream()
    with pytest.raises(StreamTruncatedError) as caught:
        await drain(stream)
    assert caught.value.after_output is False
    assert stream.after_output is False


async def test_empty_source_is_truncated() -> None:
    with pytest.raises(StreamTruncatedError):
        await drain(Source([]).stream())


async def test_llm_error_from_the_source_is_reraised_with_facts_filled() -> None:
    error = TimeoutIdleError("no event for 120 s")
    source = Source([TextDelta("a")], raise_at_end=error)
    stream = source.stream("anthropic")
    with pytest.raises(TimeoutIdleError) as caught:
        await drain(stream)
    assert caught.value is error
    assert error.after_output is True
    assert error.provider == "anthropic"
    assert source.closed
    await assert_ended(stream)


async def test_llm_error_keeps_its_own_provider_and_after_output_false() -> None:
    error = StreamInBandError("overloaded", provider="vertex")
    with pytest.raises(StreamInBandError) as caught:
        await drain(Source([Usage(1, 1)], raise_at_end=error).stream("anthropic"))
    assert caught.value.provider == "vertex"
    assert caught.value.after_output is False


@pytest.mark.parametrize(
    "exception",
    [ValueError("sk-secret in message"), KeyError("choices"), RuntimeError("x"), TypeError("y")],
)
async def test_unexpected_exception_becomes_a_protocol_error(exception: Exception) -> None:
    source = Source([TextDelta("a")], raise_at_end=exception)
    stream = source.stream("openai")
    with pytest.raises(StreamProtocolError) as caught:
        await drain(stream)
    error = caught.value
    assert error.__cause__ is exception
    assert error.provider == "openai"
    assert error.after_output is True
    assert type(exception).__name__ in str(error)
    assert "sk-secret" not in str(error)  # the original text is on __cause__, not copied
    assert source.closed
    await assert_ended(stream)


async def test_unknown_item_is_a_protocol_error_and_closes_the_source() -> None:
    done = Done(FinishReason.STOP, None, None, AssistantMessage())
    for odd in [done, "text", {"type": "x"}, None]:
        source = Source([TextDelta("a"), odd, END])
        stream = source.stream()
        with pytest.raises(StreamProtocolError, match="unknown item") as caught:
            await drain(stream)
        assert caught.value.after_output is True
        assert source.closed
        await assert_ended(stream)


async def test_too_many_tool_calls_is_too_large_and_closes_the_source() -> None:
    calls = [ToolCallDelta(i, f"c{i}", "f", "{}") for i in range(4)]
    source = Source([*calls, END])
    stream = source.stream("groq", max_tool_calls=3)
    events, error = await collect(stream)
    assert len(events) == 3
    assert isinstance(error, StreamTooLargeError)
    assert error.after_output is True
    assert error.provider == "groq"
    assert source.closed


# --- cancellation ------------------------------------------------------------------------------


async def test_aclose_mid_stream_closes_the_source_and_yields_nothing_more() -> None:
    source = Source([TextDelta("a"), TextDelta("b"), END])
    stream = source.stream()
    assert await stream.__anext__() == TextDelta("a")
    await stream.aclose()
    assert source.closed
    await assert_ended(stream)
    await stream.aclose()  # idempotent
    assert source.pulled == 1


async def test_aclose_before_reading() -> None:
    source = Source([TextDelta("a"), END])
    stream = source.stream()
    await stream.aclose()
    await assert_ended(stream)
    assert source.pulled == 0


async def test_aclose_after_done_and_after_error_is_quiet() -> None:
    stream = Source([END]).stream()
    await drain(stream)
    await stream.aclose()
    stream = Source([], raise_at_end=LlmConnectionError("reset")).stream()
    with pytest.raises(LlmConnectionError):
        await drain(stream)
    await stream.aclose()
    await assert_ended(stream)


async def test_leaving_async_with_closes() -> None:
    source = Source([TextDelta("a"), TextDelta("b"), END])
    async with source.stream() as stream:
        assert await stream.__anext__() == TextDelta("a")
    assert source.closed
    await assert_ended(stream)


async def test_break_inside_async_with_closes() -> None:
    source = Source([TextDelta(str(i)) for i in range(10)] + [END])
    seen = []
    async with source.stream() as stream:
        async for event in stream:
            seen.append(event)
            if len(seen) == 2:
                break
    assert source.closed
    assert source.pulled == 2


async def test_an_exception_in_the_consumer_inside_async_with_closes() -> None:
    source = Source([TextDelta("a"), END])

    async def consume() -> None:
        async with source.stream() as stream:
            await stream.__anext__()
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await consume()
    assert source.closed


async def test_cancelling_the_consumer_closes_the_source_and_is_not_an_error() -> None:
    source = Source([TextDelta("a"), TextDelta("b"), END], wait_at=1)
    stream = source.stream()
    seen: list[LlmStreamEvent] = []

    async def consume() -> None:
        async for event in stream:
            seen.append(event)

    task = asyncio.create_task(consume())
    await wait_until(lambda: source.waiting)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert source.closed
    assert seen == [TextDelta("a")]
    await assert_ended(stream)


async def test_aclose_from_another_task_during_a_pending_read() -> None:
    source = Source([TextDelta("a"), TextDelta("b"), END], wait_at=1)
    stream = source.stream()
    assert await stream.__anext__() == TextDelta("a")
    pending = asyncio.create_task(stream.__anext__())
    await wait_until(lambda: source.waiting)
    await asyncio.wait_for(stream.aclose(), 1)  # does not raise, does not wait for the read
    assert not pending.done()
    source.gate.set()  # type: ignore[union-attr]
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 1)  # the late item is not yielded, nor a Done
    assert source.closed
    await assert_ended(stream)


async def test_error_of_a_read_pending_during_aclose_is_not_reported() -> None:
    class Failing:
        def __init__(self) -> None:
            self.gate = asyncio.Event()
            self.closed = False

        def __aiter__(self) -> Failing:
            return self

        async def __anext__(self) -> RawEvent:
            await self.gate.wait()
            raise LlmConnectionError("reset by the close")

        async def aclose(self) -> None:
            self.closed = True
            self.gate.set()

    source = Failing()
    stream = guard(source, provider="p")
    pending = asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0)
    await stream.aclose()  # not an async generator: closed at once, which ends the read
    assert source.closed
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 1)


async def test_a_plain_async_iterator_without_aclose_works() -> None:
    class Plain:
        def __init__(self) -> None:
            self.items: list[RawEvent] = [TextDelta("a"), END]

        def __aiter__(self) -> Plain:
            return self

        async def __anext__(self) -> RawEvent:
            if not self.items:
                raise StopAsyncIteration
            return self.items.pop(0)

    events = await drain(guard(Plain(), provider="p"))
    assert isinstance(events[-1], Done)
    stream = guard(Plain(), provider="p")
    await stream.aclose()
    await assert_ended(stream)


# --- shape -------------------------------------------------------------------------------------


async def test_stream_is_an_llm_event_stream_with_a_helpful_repr() -> None:
    stream = Source([END]).stream("gemini")
    assert isinstance(stream, LlmEventStream)
    assert stream.provider == "gemini"
    assert repr(stream) == "<GuardedStream provider='gemini' open>"
    assert stream.__aiter__() is stream
    await drain(stream)
    assert repr(stream) == "<GuardedStream provider='gemini' closed>"


# --- property: exactly one terminal, whatever the source does --------------------------------

raw_items = st.one_of(
    st.builds(TextDelta, st.text(max_size=3)),
    st.builds(ReasoningDelta, st.text(max_size=3), st.integers(0, 2)),
    st.builds(
        ToolCallDelta,
        st.integers(0, 2),
        st.none() | st.sampled_from(["a", "b", ""]),
        st.none() | st.sampled_from(["f", "g"]),
        st.sampled_from(["", "{", "}", '{"x":1}', "1"]),
    ),
    st.builds(Usage, st.integers(0, 9), st.integers(0, 9)),
    st.builds(Finish, st.sampled_from(list(FinishReason)), st.none() | st.just("raw")),
    st.builds(RefusalDelta, st.text(max_size=3)),
    st.builds(ProviderBlock, st.just({"k": 1})),
    st.builds(ResponseInfo, st.none() | st.just("id")),
)
endings = st.one_of(
    st.just("end"),
    st.just("exhausted"),
    # Fresh instances per example: the guard fills in facts on the error it re-raises.
    st.sampled_from(
        [
            lambda: RateLimitError("429", retry_after=1.0),
            lambda: StreamInBandError("in band"),
            lambda: LlmConnectionError("reset"),
            lambda: StreamProtocolError("bad json", provider="own"),
            lambda: ValueError("v"),
            lambda: KeyError("k"),
            lambda: RuntimeError("r"),
            ZeroDivisionError,
        ]
    ).map(lambda make: make()),
    st.just("unknown-item"),
)


@settings(deadline=None)
@given(
    items=st.lists(raw_items, max_size=12),
    ending=endings,
    close_after=st.none() | st.integers(0, 12),
    trailing=st.lists(raw_items, max_size=3),
)
def test_exactly_one_terminal_whatever_the_source_does(
    items: list[RawEvent], ending: object, close_after: int | None, trailing: list[RawEvent]
) -> None:
    async def scenario() -> None:
        tail: list[object] = list(trailing)
        raise_at_end: BaseException | None = None
        if ending == "end":
            tail = [END, *trailing]
        elif ending == "unknown-item":
            tail = [object(), *trailing]
        elif isinstance(ending, BaseException):
            tail = []
            raise_at_end = ending
        else:
            tail = []
        source = Source([*items, *tail], raise_at_end=raise_at_end)
        stream = source.stream("prop", max_tool_calls=2)
        events: list[LlmStreamEvent] = []
        error: BaseException | None = None
        closed_by_us = False
        try:
            async for event in stream:
                events.append(event)
                if close_after is not None and len(events) > close_after:
                    await stream.aclose()
                    closed_by_us = True
        except LlmError as caught:
            error = caught

        # Nothing after the terminal, however often the consumer asks.
        await assert_ended(stream)
        assert source.closed

        dones = [e for e in events if isinstance(e, Done)]
        deltas = events[: len(events) - len(dones)]
        assert all(isinstance(e, TextDelta | ReasoningDelta | ToolCallDelta) for e in deltas)
        if closed_by_us and not dones:
            assert error is None  # closing is not an error
            return
        # Exactly one terminal: one Done as the last item, or one LlmError, never both.
        assert (len(dones) == 1) != (error is not None)
        if dones:
            assert events[-1] is dones[0]
            done = dones[0]
            assert done.message.text == "".join(e.text for e in deltas if isinstance(e, TextDelta))
        else:
            assert isinstance(error, LlmError)
            assert error.after_output is bool(deltas)
            assert error.provider in ("prop", "own")
            if isinstance(ending, LlmError):
                assert error is ending or isinstance(error, StreamTooLargeError)
            elif isinstance(ending, Exception) and not isinstance(error, StreamTooLargeError):
                assert isinstance(error, StreamProtocolError)
                assert error.__cause__ is ending
            elif ending == "exhausted" and not isinstance(error, StreamTooLargeError):
                assert isinstance(error, StreamTruncatedError)

    asyncio.run(scenario())
