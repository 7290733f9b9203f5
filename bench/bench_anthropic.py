"""Per-event cost of the Anthropic adapter next to the official ``anthropic`` SDK, same bytes.

Every client reads the same recorded Messages stream, served in process by
``httpx.MockTransport`` one SSE event per chunk (as the API flushes them), so the figures
compare parsing and dispatch, not the network:

- ``floor``: httpx reads the bytes, the lines are split and every ``data:`` line is
  ``json.loads``-ed (what any client must at least do);
- ``llmport AnthropicAdapter``: bytes -> SSE frames -> decoder -> guard -> public events, with
  ``Done`` and the assembled message;
- ``anthropic SDK raw``: ``client.messages.create(stream=True)``, iterating the typed events;
- ``anthropic SDK messages.stream()``: the helper that also accumulates the message.

A report, not a test: it prints microseconds per SSE event and the
ratios, and exits 0.

    python bench/bench_anthropic.py [stream-name | synthetic:N] [rounds]

``synthetic:2000`` is a long Claude-style text stream of 2000 deltas (the per-request cost
vanishes; comparable with ``bench_stream.py``'s OpenAI figures).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

STREAMS = ROOT.parent / "shared" / "streams"
DEFAULT_STREAM = "anthropic/thinking-signature"
RUNS_PER_ROUND = 40


WORDS = [
    "The",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "the",
    "lazy",
    "dog;",
    "naïve",
    "café",
    "🚀",
    "résumé",
]


def synthetic(deltas: int) -> bytes:
    """A long Claude-style text stream (``deltas`` text deltas), shaped like the recordings."""

    def event(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    usage = {"input_tokens": 12, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    out = [
        event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "model": "claude-sonnet-4-5-20250929",
                    "id": "msg_017A4s3HAsrqf5d2WvBmrpLr",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": 1},
                },
            },
        ),
        event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        'event: ping\ndata: {"type": "ping"}\n\n',
    ]
    for i in range(deltas):
        delta = {"type": "text_delta", "text": " " + WORDS[i % len(WORDS)]}
        out.append(
            event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        )
    out.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    out.append(
        event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {**usage, "output_tokens": deltas},
            },
        )
    )
    out.append(event("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()


def load(name: str) -> tuple[list[bytes], int]:
    if name.startswith("synthetic:"):
        body = synthetic(int(name.partition(":")[2]))
    else:
        body = (STREAMS / name / "response.body").read_bytes()
    if not body.endswith(b"\n\n"):
        body = body.rstrip(b"\n") + b"\n\n"
    events = [e + b"\n\n" for e in body.split(b"\n\n") if e.strip()]
    return events, len(events)


def client_for(chunks: list[bytes], http: Any = httpx) -> Any:
    """An ``AsyncClient`` of ``http`` (httpx, or httpx2 for recent SDKs) serving ``chunks``."""

    async def handler(request: Any) -> Any:
        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return http.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    return http.AsyncClient(transport=http.MockTransport(handler))


def sdk_http() -> Any:
    """The HTTP package the installed ``anthropic`` SDK accepts (>= 2.x uses ``httpx2``)."""
    try:
        import httpx2
    except ImportError:
        return httpx
    import anthropic

    try:
        anthropic.AsyncAnthropic(api_key="k", http_client=httpx.AsyncClient())
    except TypeError:
        return httpx2
    return httpx


async def floor(chunks: list[bytes]) -> Callable[[], Awaitable[int]]:
    client = client_for(chunks)
    loads = json.loads

    async def run() -> int:
        n = 0
        rest = b""
        async with client.stream("POST", "http://bench/v1/messages", content=b"{}") as response:
            async for chunk in response.aiter_bytes():
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    if line.startswith(b"data:"):
                        loads(line[5:])
                        n += 1
        return n

    return run


async def llmport_adapter(chunks: list[bytes]) -> Callable[[], Awaitable[int]]:
    from llmport.adapters.anthropic import AnthropicAdapter
    from llmport.domain.messages import UserMessage

    adapter = AnthropicAdapter("claude-bench", api_key="k", http_client=client_for(chunks))
    messages = [UserMessage("hi")]

    async def run() -> int:
        n = 0
        stream = await adapter.chat_stream(messages, [])
        async with stream:
            async for _ in stream:
                n += 1
        return n

    return run


async def sdk_raw(chunks: list[bytes]) -> Callable[[], Awaitable[int]]:
    import anthropic

    client = anthropic.AsyncAnthropic(
        api_key="k",
        http_client=client_for(chunks, sdk_http()),
        max_retries=0,
        base_url="http://bench",
    )

    async def run() -> int:
        n = 0
        stream = await client.messages.create(
            model="claude-bench",
            max_tokens=1024,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
        async for _ in stream:
            n += 1
        return n

    return run


async def sdk_helper(chunks: list[bytes]) -> Callable[[], Awaitable[int]]:
    import anthropic

    client = anthropic.AsyncAnthropic(
        api_key="k",
        http_client=client_for(chunks, sdk_http()),
        max_retries=0,
        base_url="http://bench",
    )

    async def run() -> int:
        n = 0
        async with client.messages.stream(
            model="claude-bench", max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            async for _ in stream:
                n += 1
            await stream.get_final_message()
        return n

    return run


async def measure(
    makers: dict[str, Callable[[list[bytes]], Awaitable[Callable[[], Awaitable[int]]]]],
    chunks: list[bytes],
    events: int,
    rounds: int,
) -> dict[str, float]:
    """Microseconds per SSE event for each client: the clients take turns round after round
    (so load on a shared machine hits them alike) and each keeps its best round."""
    runs = {label: await make(chunks) for label, make in makers.items()}
    for run in runs.values():
        for _ in range(5):  # warm up
            await run()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for label, run in runs.items():
            start = time.perf_counter()
            for _ in range(RUNS_PER_ROUND):
                await run()
            per_event = (time.perf_counter() - start) / (RUNS_PER_ROUND * events) * 1e6
            best[label] = min(best[label], per_event)
    return best


OURS = "llmport AnthropicAdapter"


async def main(name: str, rounds: int) -> None:
    import anthropic

    makers = {
        "floor (httpx bytes + json.loads per data line)": floor,
        OURS: llmport_adapter,
        "anthropic SDK raw stream (messages.create)": sdk_raw,
        "anthropic SDK messages.stream() helper": sdk_helper,
    }
    print(
        f"anthropic SDK {anthropic.__version__} (HTTP: {sdk_http().__name__}), "
        f"Python {sys.version.split()[0]}"
    )
    for label, chunking in (("one chunk per event", None), ("4 KiB reads", 4096)):
        chunks, events = load(name)
        if chunking:
            body = b"".join(chunks)
            chunks = [body[i : i + chunking] for i in range(0, len(body), chunking)]
        results = await measure(makers, chunks, events, rounds)
        ours = results[OURS]
        print(f"\nstream {name}: {events} SSE events, {len(b''.join(chunks))} bytes, {label}")
        print(f"{'client':<50} {'us/event':>9} {'vs llmport':>11}")
        for client, value in results.items():
            print(f"{client:<50} {value:9.2f} {value / ours:10.2f}x")


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else DEFAULT_STREAM,
            int(sys.argv[2]) if len(sys.argv) > 2 else 7,
        )
    )
