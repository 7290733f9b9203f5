"""A warm burst is as fast as a cold one with the default client (the fault campaign: 200
streams took 3.3-3.6 s warm against 0.6 s cold, and a burst of 500 lost 69 streams to
first-event timeouts), on the real loopback server."""

from __future__ import annotations

import asyncio
import time

import pytest

from llmport import Done, UserMessage
from llmport.adapters.openai_chat import OpenAIChatAdapter
from tests.support.fake_server import FakeServer, Reply, sse

CHUNK = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}
STREAMS = 500


async def one(port: OpenAIChatAdapter) -> bool:
    stream = await port.chat_stream([UserMessage("hi")], [])
    async with stream:
        events = [event async for event in stream]
    return isinstance(events[-1], Done)


async def burst(port: OpenAIChatAdapter) -> tuple[float, int]:
    started = time.perf_counter()
    results = await asyncio.gather(*(one(port) for _ in range(STREAMS)), return_exceptions=True)
    return time.perf_counter() - started, sum(1 for r in results if r is True)


@pytest.mark.usefixtures("transport")  # the default client of every transport
async def test_a_warm_burst_of_500_streams_is_as_fast_as_a_cold_one() -> None:
    async with FakeServer() as server:
        for _ in range(2 * STREAMS):
            server.add(Reply(body=sse(CHUNK)))
        async with OpenAIChatAdapter("m", base_url=server.url, first_event_timeout=30) as port:
            cold, cold_done = await burst(port)
            warm, warm_done = await burst(port)
        await server.wait_all_closed(timeout=5.0)
    assert (cold_done, warm_done) == (STREAMS, STREAMS)
    # Generous: a machine's noise is not a regression, the pile-up (3-6x) is.
    assert warm < 2.0 * cold + 1.0, f"warm {warm:.2f} s against cold {cold:.2f} s"
