"""Run a recorded body through an adapter and serialise what came out, for golden files.

A golden is our own file: the expected events and the final ``Done`` (or error) for one
recorded stream, derived once by ``tests/golden/derive.py`` and then reviewed by hand.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmport.domain.errors import LlmError, StreamInBandError
from llmport.domain.events import Done, LlmStreamEvent, ReasoningDelta, TextDelta, ToolCallDelta
from llmport.domain.messages import message_to_dict
from llmport.ports import LlmCompletionPort

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


def event_to_json(event: LlmStreamEvent) -> dict[str, Any]:
    match event:
        case TextDelta(text=text):
            return {"text": text}
        case ReasoningDelta():
            return {"reasoning": {k: v for k, v in asdict(event).items() if v not in (None, 0)}}
        case ToolCallDelta():
            return {"tool_call": {k: v for k, v in asdict(event).items() if v is not None}}
        case Done():
            return {
                "done": {
                    "finish_reason": event.finish_reason.value,
                    "raw_finish_reason": event.raw_finish_reason,
                    "usage": asdict(event.usage) if event.usage is not None else None,
                    "message": message_to_dict(event.message),
                    "stop_sequence": event.stop_sequence,
                    "detail": event.detail,
                    "response_id": event.response_id,
                    "model": event.model,
                }
            }
    raise TypeError(type(event).__name__)


def error_to_json(error: LlmError) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": type(error).__name__,
        "category": error.error_category.value,
        "after_output": error.after_output,
        "retryable": error.retryable,
        "code": error.code,
        "status_code": error.status_code,
    }
    if isinstance(error, StreamInBandError):
        out["in_band_category"] = error.in_band_category.value
    return out


def split_body(body: bytes, sizes: Sequence[int] | None) -> list[bytes]:
    if not sizes:
        return [body]
    out, pos, i = [], 0, 0
    while pos < len(body):
        size = max(1, sizes[i % len(sizes)])
        out.append(body[pos : pos + size])
        pos += size
        i += 1
    return out


def mock_client(
    body: bytes,
    sizes: Sequence[int] | None = None,
    *,
    status: int = 200,
    content_type: str = "text/event-stream",
) -> httpx.AsyncClient:
    pieces = split_body(body, sizes)

    async def stream() -> Any:
        for piece in pieces:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": content_type}, content=stream())

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def collect(
    port: LlmCompletionPort, messages: Sequence[Any] = (), tools: Sequence[Any] = ()
) -> dict[str, Any]:
    """``{"events": [...], "error": {...} | None}`` of one turn."""
    events: list[dict[str, Any]] = []
    error: dict[str, Any] | None = None
    try:
        stream = await port.chat_stream(list(messages), list(tools))
        async with stream:
            async for event in stream:
                events.append(event_to_json(event))
    except LlmError as failure:
        error = error_to_json(failure)
    return {"events": events, "error": error}


def merged(result: dict[str, Any]) -> dict[str, Any]:
    """Adjacent text/reasoning deltas merged: what must not depend on how bytes were split."""
    out: list[dict[str, Any]] = []
    for event in result["events"]:
        if out and "text" in event and "text" in out[-1]:
            out[-1] = {"text": out[-1]["text"] + event["text"]}
        else:
            out.append(event)
    return {"events": out, "error": result["error"]}


def load_golden(kind: str, name: str) -> dict[str, Any] | None:
    path = GOLDEN_DIR / kind / (name.replace("/", "__") + ".json")
    return json.loads(path.read_text()) if path.exists() else None


def write_golden(kind: str, name: str, data: dict[str, Any]) -> Path:
    path = GOLDEN_DIR / kind / (name.replace("/", "__") + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


PortFactory = Callable[[httpx.AsyncClient], LlmCompletionPort]


def assert_every_recording_has_a_golden(kind: str, streams: Sequence[Any], count: int) -> None:
    """Every recorded stream of a wire (``count`` of them) has its golden file under ``kind``."""
    if not streams:
        pytest.skip("../shared/streams is absent")
    assert len(streams) == count
    assert [s.name for s in streams if load_golden(kind, s.name) is None] == []


async def assert_splits_do_not_matter(
    run: Callable[[Any, list[int] | None], Any], stream: Any, *, longest: int, pieces: int
) -> None:
    """``run(stream, sizes)`` gives the same result whole, one byte at a time, and in three
    random splits (seeded by the stream's name) of up to ``pieces`` reads of ``longest`` bytes."""
    whole = await run(stream, None)
    assert await run(stream, [1]) == whole
    rng = random.Random(stream.name)
    for _ in range(3):
        assert await run(stream, [rng.randint(1, longest) for _ in range(pieces)]) == whole
