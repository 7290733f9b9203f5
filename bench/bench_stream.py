"""Per-event cost of the OpenAI Chat adapter, bytes to events, beside the official SDK.

Every contender reads the same bytes from the same in-process ``httpx.MockTransport`` (one
network chunk per SSE event, the worst case for per-chunk overhead) in the same run:

- ``floor``: httpx ``aiter_lines`` + ``json.loads`` of each ``data:`` line, nothing else;
- ``llmport``: ``OpenAIChatAdapter.chat_stream`` -> guarded ``LlmStreamEvent`` items
  (SSE framing, decoding, guard, assembled ``Done``);
- ``openai``: ``AsyncOpenAI(...).chat.completions.create(stream=True)`` -> ``ChatCompletionChunk``.

Run: ``python bench/bench_stream.py [--chunks 2000] [--rounds 7]``. Prints a Markdown table of
microseconds per chunk (best round) and the ratios. Not a test: speed is measured here only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.events import Done
from llmport.domain.messages import UserMessage

WORDS = "The quick brown fox jumps over the lazy dog; naïve café 🚀 résumé".split()  # noqa: SIM905


def make_body(chunks: int) -> list[bytes]:
    """A gpt-4o style stream: role chunk, ``chunks`` content chunks, finish, usage, [DONE]."""

    def event(choices: list[object], **extra: object) -> bytes:
        data = {
            "id": "chatcmpl-AbCdEf0123456789",
            "object": "chat.completion.chunk",
            "created": 1727000000,
            "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_abc123",
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

    def choice(delta: dict[str, object], finish: str | None = None) -> list[object]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    out = [event(choice({"role": "assistant", "content": "", "refusal": None}), obfuscation="x")]
    for i in range(chunks):
        out.append(event(choice({"content": " " + WORDS[i % len(WORDS)]}), obfuscation="abcd"))
    out.append(event(choice({}, "stop")))
    usage = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": chunks + 12}
    out.append(event([], usage=usage))
    out.append(b"data: [DONE]\n\n")
    return out


def client_for(pieces: list[bytes]) -> httpx.AsyncClient:
    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def run_floor(pieces: list[bytes]) -> int:
    count = 0
    url = "https://bench.test/v1/chat/completions"
    async with client_for(pieces) as client, client.stream("POST", url) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])
                count += 1
    return count


async def run_llmport(pieces: list[bytes]) -> int:
    count = 0
    async with client_for(pieces) as client:
        port = OpenAIChatAdapter("gpt-4o", api_key="sk-bench", http_client=client)
        stream = await port.chat_stream([UserMessage("hi")], [])
        async for event in stream:
            count += 1
            if isinstance(event, Done):
                assert event.usage is not None
    return count


async def run_openai(pieces: list[bytes]) -> int:
    from openai import AsyncOpenAI

    count = 0
    async with client_for(pieces) as client:
        sdk = AsyncOpenAI(api_key="sk-bench", base_url="https://bench.test/v1", http_client=client)
        stream = await sdk.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for _chunk in stream:
            count += 1
    return count


async def measure(
    name: str, runner: Callable[[list[bytes]], Awaitable[int]], pieces: list[bytes], rounds: int
) -> tuple[float, float]:
    await runner(pieces)  # warm-up (imports, caches)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await runner(pieces)
        times.append(time.perf_counter() - start)
    per_chunk = [t / len(pieces) * 1e6 for t in times]
    return min(per_chunk), statistics.median(per_chunk)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    pieces = make_body(args.chunks)
    results = {}
    for name, runner in (("floor", run_floor), ("llmport", run_llmport), ("openai", run_openai)):
        results[name] = await measure(name, runner, pieces, args.rounds)
    import openai

    print(
        f"{len(pieces)} SSE events, one network chunk each, {args.rounds} rounds; "
        f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, openai {openai.__version__}\n"
    )
    print("| contender | us/chunk (best) | us/chunk (median) | vs llmport |")
    print("|---|---:|---:|---:|")
    base = results["llmport"][0]
    for name, (best, median) in results.items():
        print(f"| {name} | {best:.1f} | {median:.1f} | {best / base:.2f}x |")
    print(
        f"\nopenai SDK / llmport = {results['openai'][0] / base:.1f}x; "
        f"llmport - floor = {base - results['floor'][0]:.1f} us/chunk"
    )


if __name__ == "__main__":
    asyncio.run(main())
