"""Per-event cost of the Ollama adapter, bytes to events, beside the official ``ollama`` client.

Every contender reads the same NDJSON bytes from the same in-process ``httpx.MockTransport`` in
one run:

- ``floor``: httpx ``aiter_lines`` + ``json.loads`` of each line, nothing else;
- ``llmport``: ``OllamaAdapter.chat_stream`` -> guarded ``LlmStreamEvent`` items (NDJSON framing,
  decoding, the guard, the assembled ``Done`` with usage);
- ``ollama``: the official client, ``AsyncClient(transport=...).chat(stream=True)`` ->
  ``ChatResponse`` objects.

Bodies: the recorded ``ollama/text-smoke`` (289 lines) when ``../shared/streams`` is beside the
repository, and a synthetic 2,000-token answer; each served one line per network chunk (a live
model's pace) and in 4 KiB reads. Run: ``python bench/bench_ollama.py [--rounds 7]``. Prints a
Markdown table of microseconds per line (best round) and the ratios. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mock_http import mock_transport, reads  # noqa: E402

from llmport.adapters.ollama import OllamaAdapter  # noqa: E402
from llmport.domain.events import Done  # noqa: E402
from llmport.domain.messages import UserMessage  # noqa: E402

RECORDED = ROOT.parent / "shared" / "streams" / "ollama" / "text-smoke" / "response.body"
WORDS = "The quick brown fox jumps over the lazy dog; naïve café 🚀 résumé".split()  # noqa: SIM905


def synthetic(lines: int) -> bytes:
    out = []
    for i in range(lines):
        message = {"role": "assistant", "content": " " + WORDS[i % len(WORDS)]}
        out.append(
            {
                "model": "qwen3:4b",
                "created_at": "2026-08-05T08:10:56.386925Z",
                "message": message,
                "done": False,
            }
        )
    out.append(
        {
            "model": "qwen3:4b",
            "created_at": "2026-08-05T08:11:03.181289Z",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 7577982042,
            "load_duration": 58847000,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 707514083,
            "eval_count": lines,
            "eval_duration": 6286536118,
        }
    )
    return b"".join(json.dumps(o, separators=(",", ":")).encode() + b"\n" for o in out)


def per_line(body: bytes) -> list[bytes]:
    return [line + b"\n" for line in body.split(b"\n") if line]


def transport(pieces: list[bytes]) -> httpx.MockTransport:
    return mock_transport(pieces, "application/x-ndjson")


async def run_floor(pieces: list[bytes]) -> int:
    count = 0
    async with (
        httpx.AsyncClient(transport=transport(pieces)) as client,
        client.stream("POST", "http://bench.test/api/chat") as response,
    ):
        async for line in response.aiter_lines():
            if line:
                json.loads(line)
                count += 1
    return count


async def run_llmport(pieces: list[bytes]) -> int:
    count = 0
    async with httpx.AsyncClient(transport=transport(pieces)) as client:
        port = OllamaAdapter("qwen3:4b", base_url="http://bench.test", http_client=client)
        stream = await port.chat_stream([UserMessage("hi")], [])
        async for event in stream:
            count += 1
            if isinstance(event, Done):
                assert event.usage is not None
    return count


async def run_ollama(pieces: list[bytes]) -> int:
    import ollama

    count = 0
    client = ollama.AsyncClient(host="http://bench.test", transport=transport(pieces))
    stream = await client.chat(
        model="qwen3:4b", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    async for _part in stream:
        count += 1
    await client.close()
    return count


RUNNERS: dict[str, Callable[[list[bytes]], Awaitable[int]]] = {
    "floor": run_floor,
    "llmport": run_llmport,
    "ollama": run_ollama,
}


async def measure(
    runner: Callable[[list[bytes]], Awaitable[int]], pieces: list[bytes], lines: int, rounds: int
) -> float:
    await runner(pieces)  # warm-up (imports, caches)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await runner(pieces)
        times.append(time.perf_counter() - start)
    return min(times) / lines * 1e6


async def main() -> None:
    from importlib.metadata import version

    import ollama  # noqa: F401  (fail early when the client is missing)

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    bodies = {"synthetic 2,000 tokens": synthetic(2000)}
    if RECORDED.exists():
        bodies = {"recorded ollama/text-smoke": RECORDED.read_bytes(), **bodies}
    print(
        f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, "
        f"ollama {version('ollama')}; best of {args.rounds} rounds, us per NDJSON line\n"
    )
    print(
        "| body, chunking | floor | llmport | ollama client | floor / llmport | ollama / llmport |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, body in bodies.items():
        lines = len(per_line(body))
        for chunking, pieces in (
            ("one line per chunk", per_line(body)),
            ("4 KiB reads", reads(body)),
        ):
            us = {k: await measure(r, pieces, lines, args.rounds) for k, r in RUNNERS.items()}
            base = us["llmport"]
            print(
                f"| {name} ({lines} lines), {chunking} | {us['floor']:.2f} | {base:.2f} | "
                f"{us['ollama']:.2f} | {us['floor'] / base:.2f}x | {us['ollama'] / base:.2f}x |"
            )


if __name__ == "__main__":
    asyncio.run(main())
