"""Building Anthropic SSE frames and running a decoder through the guard, for the tests."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import httpx

from llmport.adapters.anthropic import AnthropicAdapter
from llmport.adapters.anthropic.decode import AnthropicDecoder
from llmport.core.guard import guard
from llmport.core.raw import RawEvent
from llmport.domain.events import Done, LlmStreamEvent
from llmport.domain.messages import UserMessage
from tests.support.streams import RecordedStream

Frame = tuple[str, str]


def frame(data: dict[str, Any], event: str | None = None) -> Frame:
    """An SSE frame whose event name is the data's type (as Anthropic sends it)."""
    return (event if event is not None else str(data["type"]), json.dumps(data))


def message_start(msg_id: str = "msg_1", model: str = "claude-test", **usage: int) -> Frame:
    return frame(
        {
            "type": "message_start",
            "message": {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage or {"input_tokens": 10, "output_tokens": 1},
            },
        }
    )


def block_start(index: int, block: dict[str, Any]) -> Frame:
    return frame({"type": "content_block_start", "index": index, "content_block": block})


def delta(index: int, body: dict[str, Any]) -> Frame:
    return frame({"type": "content_block_delta", "index": index, "delta": body})


def text_delta(index: int, text: str) -> Frame:
    return delta(index, {"type": "text_delta", "text": text})


def json_delta(index: int, fragment: str) -> Frame:
    return delta(index, {"type": "input_json_delta", "partial_json": fragment})


def block_stop(index: int) -> Frame:
    return frame({"type": "content_block_stop", "index": index})


def message_delta(
    stop_reason: str | None = "end_turn", stop_sequence: str | None = None, **usage: int
) -> Frame:
    return frame(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
            "usage": usage or {"output_tokens": 5},
        }
    )


MESSAGE_STOP: Frame = ("message_stop", '{"type":"message_stop"}')
PING: Frame = ("ping", '{"type": "ping"}')


def text_message(*pieces: str, stop_reason: str = "end_turn") -> list[Frame]:
    return [
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        *(text_delta(0, p) for p in pieces),
        block_stop(0),
        message_delta(stop_reason),
        MESSAGE_STOP,
    ]


def decode_all(frames: Iterable[Frame], decoder: AnthropicDecoder | None = None) -> list[RawEvent]:
    """Every item the decoder produces for ``frames`` and a clean end of body."""
    decoder = decoder or AnthropicDecoder()
    out: list[RawEvent] = []
    for event, data in frames:
        out.extend(decoder.feed(event, data))
    out.extend(decoder.eof())
    return out


async def _source(frames: Sequence[Frame]) -> AsyncIterator[RawEvent]:
    decoder = AnthropicDecoder()
    for event, data in frames:
        for item in decoder.feed(event, data):
            yield item
    for item in decoder.eof():
        yield item


async def through_guard(frames: Sequence[Frame]) -> tuple[list[LlmStreamEvent], Done]:
    """The public events for ``frames`` (decoder + guard, no HTTP) and the final ``Done``."""
    events: list[LlmStreamEvent] = []
    async with guard(_source(frames), provider="anthropic") as stream:
        async for event in stream:
            events.append(event)
    done = events[-1]
    assert isinstance(done, Done)
    return events, done


# --- the adapter over an in-process transport -------------------------------------------------

TEST_KEY = "sk-ant-test-SENTINEL-0123456789"


def split_body(body: bytes, rng: random.Random, low: int = 1, high: int = 7) -> list[bytes]:
    """``body`` cut at random points (pieces of ``low``..``high`` bytes): code points, CRLF
    pairs, field names and JSON are all cut somewhere."""
    chunks, at = [], 0
    while at < len(body):
        size = rng.randint(low, high)
        chunks.append(body[at : at + size])
        at += size
    return chunks


def mock_adapter(
    *replies: list[bytes] | httpx.Response,
    seen: list[httpx.Request] | None = None,
    **options: Any,
) -> AnthropicAdapter:
    """An adapter whose requests are answered in order: a list of chunks is a 200 SSE body."""
    queue = list(replies)

    async def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        reply = queue.pop(0)
        if isinstance(reply, httpx.Response):
            return reply

        async def body() -> AsyncIterator[bytes]:
            for chunk in reply:
                yield chunk

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    options.setdefault("api_key", TEST_KEY)
    return AnthropicAdapter("claude-test", http_client=client, **options)


async def stream_events(adapter: AnthropicAdapter) -> list[LlmStreamEvent]:
    """One turn through the adapter, checked by the conformance kit; its events and Done."""
    from llmport.testing.contract import check_stream

    stream = await adapter.chat_stream([UserMessage("hi")], [])
    outcome = await check_stream(stream)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.done is not None
    return [*outcome.events, outcome.done]


def served_body(stream: RecordedStream) -> bytes:
    """The bytes the vendor sent for ``stream``.

    One recording (``anthropic/max-tokens-mid-tool-json``, an SDK fixture file) lost the blank
    line after its last event when it was saved (meta.json: "fixture-file artifact"); the API
    ends every event with one, so it is restored here. Served verbatim, that body is a truncated
    stream (the unterminated ``message_stop`` is dropped, per the SSE standard), which
    ``test_goldens.py`` checks separately.
    """
    body = stream.body
    if not stream.meta.get("framing", {}).get("ends_with_blank_line", True):
        body = body.rstrip(b"\n") + b"\n\n"
    return body
