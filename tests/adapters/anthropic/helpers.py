"""Building Anthropic SSE frames and running a decoder through the guard, for the tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from llmport.adapters.anthropic.decode import AnthropicDecoder
from llmport.core.guard import guard
from llmport.core.raw import RawEvent
from llmport.domain.events import Done, LlmStreamEvent

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
