"""Compressed bodies: inflated in bounded steps, blank lines free, the stream limit on decoded
bytes. The gzip bomb of the fault campaign (256 KiB on the wire, 582 MiB of RSS before), on the
real loopback server."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport import Done, UserMessage
from llmport.adapters.ollama import OllamaAdapter
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.http import Limits
from llmport.core.inflate import bounded_inflate
from llmport.core.ndjson import NDJSONFramer
from llmport.core.sse import SSEFramer
from llmport.domain.errors import LlmError, StreamProtocolError, StreamTooLargeError
from tests.support.fake_server import FakeServer, Reply, sse


async def chunks(*items: bytes) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def collect(source: AsyncIterator[bytes]) -> list[bytes]:
    return [piece async for piece in source]


@pytest.mark.parametrize("wbits", [16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS])
async def test_every_piece_is_bounded_and_the_body_is_whole(wbits: int) -> None:
    body = b"\n" * 3_000_000 + b"data: end\n\n"
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    packed = compressor.compress(body) + compressor.flush()
    encoding = "gzip" if wbits > zlib.MAX_WBITS else "deflate"
    pieces = await collect(bounded_inflate(chunks(packed), encoding, step=65536))
    assert max(len(p) for p in pieces) <= 65536
    assert b"".join(pieces) == body


async def test_a_corrupt_body_is_a_protocol_error() -> None:
    with pytest.raises(StreamProtocolError, match="could not be decompressed"):
        await collect(bounded_inflate(chunks(b"\x1f\x8b\x08\x00garbage-not-gzip"), "gzip"))


def bomb(decoded: int) -> bytes:
    """``decoded`` bytes of blank lines, gzip-compressed (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\n" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(decoded >> 20)]
    return b"".join(parts) + compressor.flush()


@pytest.mark.usefixtures("transport")  # on every transport
async def test_a_gzip_bomb_of_blank_lines_is_bounded_in_memory_and_time() -> None:
    payload = bomb(64 << 20)  # 64 MiB of blank lines in ~64 KiB on the wire
    assert len(payload) < 200_000
    limits = Limits(max_stream_bytes=32 << 20)
    async with FakeServer() as server:
        server.add(Reply(headers={"content-type": "text/event-stream",
                                  "content-encoding": "gzip"}, body=[payload]))  # fmt: skip
        async with OpenAIChatAdapter(
            "m", base_url=server.url, limits=limits, max_retries=0
        ) as port:
            tracemalloc.start()
            started = time.process_time()
            with pytest.raises(StreamTooLargeError):
                stream = await port.chat_stream([UserMessage("hi")], [])
                async with stream:
                    async for _ in stream:
                        pass
            cpu = time.process_time() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    # Near the per-event limit (16 MiB), never the body (httpx's own inflate peaked at 64+).
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"
    assert cpu < 5.0, f"{cpu:.1f} s of CPU"  # generous: about 0.1 s here


@pytest.mark.usefixtures("transport")  # on every transport
async def test_blank_lines_between_real_events_cost_nothing_and_change_nothing() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}
    body = b"\n" * 2_000_000 + b"".join(sse(chunk))
    packed = gzip.compress(body)
    async with FakeServer() as server:
        server.add(Reply(headers={"content-type": "text/event-stream",
                                  "content-encoding": "gzip"}, body=[packed]))  # fmt: skip
        async with OpenAIChatAdapter("m", base_url=server.url) as port:
            stream = await port.chat_stream([UserMessage("hi")], [])
            async with stream:
                events = [e async for e in stream]
    done = events[-1]
    assert isinstance(done, Done) and done.message.text == "Hi"


@pytest.mark.usefixtures("transport")  # on every transport
async def test_ndjson_blank_lines_gzip() -> None:
    line = {"model": "m", "message": {"role": "assistant", "content": "ok"}, "done": True,
            "done_reason": "stop"}  # fmt: skip
    body = b"\n \r\n" * 500_000 + json.dumps(line).encode() + b"\n"
    async with FakeServer() as server:
        headers = {"content-type": "application/x-ndjson", "content-encoding": "gzip"}
        server.add(Reply(headers=headers, body=[gzip.compress(body)]))
        async with OllamaAdapter("m", base_url=server.url) as port:
            try:
                stream = await port.chat_stream([UserMessage("hi")], [])
                async with stream:
                    events = [e async for e in stream]
            except LlmError as error:  # pragma: no cover - a failure to show
                raise AssertionError(error) from error
    assert isinstance(events[-1], Done) and events[-1].message.text == "ok"


lines = st.lists(
    st.sampled_from([b"data: a", b"data: b", b"event: x", b": ping", b"", b"", b""]), max_size=30
)
ends = st.sampled_from([b"\n", b"\r\n", b"\r"])


@given(lines, ends)
def test_sse_runs_of_blank_lines_frame_like_one(body_lines: list[bytes], end: bytes) -> None:
    body = end.join(body_lines) + end
    collapsed = (
        end.join(line for i, line in enumerate(body_lines) if line or i == 0 or body_lines[i - 1])
        + end
    )
    whole = SSEFramer().feed(body)
    assert whole == SSEFramer().feed(collapsed)
    # and one byte at a time (the collapse only ever sees what a chunk holds)
    framer = SSEFramer()
    assert [f for i in range(len(body)) for f in framer.feed(body[i : i + 1])] == whole


@given(
    st.lists(st.sampled_from([b'{"a": 1}', b"", b"  ", b"\t"]), max_size=30), st.integers(0, 3000)
)
def test_ndjson_blank_lines_are_skipped_however_many(body_lines: list[bytes], run: int) -> None:
    body = b"\n".join(body_lines) + b"\n" + b"\n" * run
    expected = [("", line.decode()) for line in body_lines if line.strip()]
    assert NDJSONFramer().feed(body) == expected
