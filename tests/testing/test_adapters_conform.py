"""Every adapter keeps the contract, checked by the conformance kit on real recorded bodies.

Each recorded stream is served whole and also cut short at several points (a body that ends
anywhere, as a dropped connection leaves it): whatever the cut, the consumer must see deltas
then exactly one terminal (``Done`` only when the provider's end marker survived, else a typed
error with ``after_output`` telling the truth), nothing after it, and a closed response.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from tests.support.goldens import mock_client
from tests.support.streams import RecordedStream, stream_params
from tests.support.transports import served
from tests.support.wires import WIRE_SUITES

from llmport import LlmCompletionPort, StreamTruncatedError, UserMessage
from llmport.testing import check_cancellation, check_port

PortFactory = Callable[..., LlmCompletionPort]

# Every registered wire's recorded formats (the registry completeness test keeps this whole).
ADAPTERS: dict[str, PortFactory] = {
    wire_format: suite.port for suite in WIRE_SUITES.values() for wire_format in suite.wire_formats
}

HI = [UserMessage("hi")]


def params() -> list[object]:
    out: list[object] = []
    for wire in ADAPTERS:
        out.extend(
            pytest.param(wire, p.values[0], id=f"{wire}:{p.id}", marks=p.marks)
            for p in stream_params(wire)
        )
    return out


def cut_points(stream: RecordedStream) -> list[int]:
    size = len(stream.body)
    rng = random.Random(stream.name)
    return sorted({0, 1, size // 2, size - 1, *(rng.randrange(size) for _ in range(4))})


@pytest.mark.parametrize(("wire", "stream"), params())
async def test_whole_and_cut_bodies_keep_the_contract(
    wire: str, stream: RecordedStream, transport: str
) -> None:
    body = stream.body
    content_type = stream.meta.get("content_type") or "text/event-stream"
    async with served(transport, body, [97], content_type=content_type) as (client, url):
        whole = await check_port(ADAPTERS[wire](client, url), HI)
    for cut in cut_points(stream):
        async with served(transport, body[:cut], [97], content_type=content_type) as (client, url):
            outcome = await check_port(ADAPTERS[wire](client, url), HI)
        if outcome.error is not None:
            # A cut body fails as a typed error (check_port already checked after_output).
            assert outcome.error.provider is not None
            if cut == 0:
                assert isinstance(outcome.error, StreamTruncatedError)
        else:
            # Done despite the cut: only when the end marker (and so all content) arrived.
            assert outcome.done is not None
            assert whole.done is not None
            assert outcome.done.message == whole.done.message


async def test_an_empty_body_is_a_truncated_stream_for_every_adapter() -> None:
    for factory in ADAPTERS.values():
        async with mock_client(b"", None) as client:
            outcome = await check_port(factory(client), HI)
        assert isinstance(outcome.error, StreamTruncatedError)
        assert outcome.error.after_output is False


@pytest.mark.parametrize(("wire", "stream"), params())
async def test_closing_mid_stream_yields_nothing_more(
    wire: str, stream: RecordedStream, transport: str
) -> None:
    content_type = stream.meta.get("content_type") or "text/event-stream"
    async with served(transport, stream.body, [64], content_type=content_type) as (client, url):
        seen = await check_cancellation(ADAPTERS[wire](client, url), HI, after_events=1)
    assert seen <= 1
