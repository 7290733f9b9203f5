"""The generation thread bridge: order, backpressure, prompt stop on close and cancellation."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from llmport.adapters.local.worker import WorkerSource
from llmport.core.guard import guard
from llmport.core.raw import END, RawEvent
from llmport.domain.errors import LlmError, ServerError, StreamProtocolError
from llmport.domain.events import Done, TextDelta

Emit = Callable[[RawEvent], None]


def counting_producer(
    limit: int | None = None, *, delay: float = 0.0, produced: list[int] | None = None
) -> Callable[[Emit, threading.Event], None]:
    """Emits TextDelta("0"), TextDelta("1") ... (forever when ``limit`` is None), then END."""

    def produce(emit: Emit, stop: threading.Event) -> None:
        n = 0
        while limit is None or n < limit:
            if stop.is_set():
                return
            if delay:
                time.sleep(delay)
            emit(TextDelta(str(n)))
            if produced is not None:
                produced.append(n)
            n += 1
        emit(END)

    return produce


async def wait_dead(thread: threading.Thread, within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not thread.is_alive(), "the generation thread is still running"


async def test_items_arrive_in_order_and_the_thread_ends() -> None:
    source: WorkerSource[RawEvent] = WorkerSource(counting_producer(50))
    source.start()
    items = [item async for item in source]
    assert items[:-1] == [TextDelta(str(n)) for n in range(50)]
    assert items[-1] is END
    await wait_dead(source.thread)


async def test_backpressure_bounds_how_far_the_producer_runs_ahead() -> None:
    produced: list[int] = []
    source: WorkerSource[RawEvent] = WorkerSource(
        counting_producer(None, produced=produced), capacity=4
    )
    source.start()
    first = await source.__anext__()
    assert first == TextDelta("0")
    await asyncio.sleep(0.3)  # the consumer stalls; an unbounded producer would run far ahead
    assert len(produced) <= 4 + 1
    await source.aclose()
    await wait_dead(source.thread)


async def test_aclose_stops_a_producer_that_never_ends() -> None:
    source: WorkerSource[RawEvent] = WorkerSource(counting_producer(None, delay=0.001))
    source.start()
    for _ in range(5):
        await source.__anext__()
    started = time.monotonic()
    await source.aclose()
    assert not source.thread.is_alive()
    assert time.monotonic() - started < 2.0
    assert source.stop_event.is_set()
    with pytest.raises(StopAsyncIteration):
        await source.__anext__()
    await source.aclose()  # idempotent


async def test_cancelling_the_consumer_through_the_guard_stops_the_thread() -> None:
    source: WorkerSource[RawEvent] = WorkerSource(counting_producer(None, delay=0.001))
    source.start()
    stream = guard(source, provider="local")
    seen: list[object] = []

    async def consume() -> None:
        async for event in stream:
            seen.append(event)

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_dead(source.thread)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_a_producer_error_reaches_the_consumer_after_the_items_before_it() -> None:
    def produce(emit: Emit, stop: threading.Event) -> None:
        emit(TextDelta("a"))
        raise ServerError("boom", provider="local")

    source: WorkerSource[RawEvent] = WorkerSource(produce)
    source.start()
    stream = guard(source, provider="local")
    assert await stream.__anext__() == TextDelta("a")
    with pytest.raises(ServerError) as caught:
        await stream.__anext__()
    assert caught.value.after_output is True
    await wait_dead(source.thread)


async def test_an_unexpected_producer_exception_becomes_a_protocol_error() -> None:
    def produce(emit: Emit, stop: threading.Event) -> None:
        raise RuntimeError("llama.cpp exploded")

    source: WorkerSource[RawEvent] = WorkerSource(produce)
    source.start()
    with pytest.raises(StreamProtocolError) as caught:
        async for _ in guard(source, provider="local"):
            pass
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert isinstance(caught.value, LlmError)


async def test_a_producer_that_ends_without_end_is_a_truncated_stream() -> None:
    def produce(emit: Emit, stop: threading.Event) -> None:
        emit(TextDelta("partial"))

    source: WorkerSource[RawEvent] = WorkerSource(produce)
    source.start()
    events: list[object] = []
    with pytest.raises(LlmError):
        async for event in guard(source, provider="local"):
            events.append(event)
    assert events == [TextDelta("partial")]


async def test_done_comes_last_through_the_guard() -> None:
    source: WorkerSource[RawEvent] = WorkerSource(counting_producer(3))
    source.start()
    events = [event async for event in guard(source, provider="local")]
    assert isinstance(events[-1], Done)
    assert events[-1].message.text == "012"


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        WorkerSource(counting_producer(1), capacity=0)


async def test_an_abandoned_stream_releases_the_producer() -> None:
    produced: list[int] = []
    source: WorkerSource[RawEvent] = WorkerSource(
        counting_producer(None, produced=produced), capacity=2, stall_timeout=0.2
    )
    source.start()
    await source.__anext__()  # then the consumer never reads again and never closes
    await wait_dead(source.thread, within=3.0)
    assert len(produced) <= 3
