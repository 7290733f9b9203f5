"""Per-event cost of the Gemini adapter, bytes to events, beside the official ``google-genai``
SDK.

Every contender reads the same SSE bytes (``alt=sse``, CRLF framing as Gemini sends it) from the
same in-process ``httpx.MockTransport`` in one run: the floor (httpx ``aiter_lines`` +
``json.loads`` of each ``data:`` line), ``GeminiAdapter.chat_stream`` to its ``Done``, and the
SDK's ``client.aio.models.generate_content_stream`` (``GenerateContentResponse`` objects) with
the same transport injected as its ``httpx_async_client``. Bodies: a synthetic 2,000-chunk
answer and the recorded ``gemini/thinking-thought-signature``; one SSE event per network chunk
and 4 KiB reads. Each reader builds its client (and the adapter, or the SDK client) once and is
timed per stream through it, as a program streams many turns through one client.

Run: ``python bench/bench_gemini.py [--rounds 7]``. Prints a Markdown table. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mock_http import Once, Opener, measure, mock_transport, reads  # noqa: E402

from llmport.adapters.gemini import GeminiAdapter  # noqa: E402
from llmport.domain.events import Done  # noqa: E402
from llmport.domain.messages import UserMessage  # noqa: E402

SSE = "text/event-stream"

RECORDED = ROOT.parent / "shared" / "streams" / "gemini" / "thinking-thought-signature"
WORDS = "The quick brown fox jumps over the lazy dog; naïve café 🚀 résumé".split()  # noqa: SIM905


def synthetic(count: int) -> bytes:
    out = []
    for i in range(count):
        candidate: dict[str, object] = {
            "content": {"parts": [{"text": " " + WORDS[i % len(WORDS)]}], "role": "model"},
            "index": 0,
        }
        if i == count - 1:
            candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": 12, "candidatesTokenCount": i + 1,
                 "totalTokenCount": i + 13}  # fmt: skip
        data = {"candidates": [candidate], "usageMetadata": usage,
                "modelVersion": "gemini-2.5-flash", "responseId": "abc123"}  # fmt: skip
        out.append(f"data: {json.dumps(data)}\r\n\r\n".encode())
    return b"".join(out)


def per_event(body: bytes) -> list[bytes]:
    return [block + b"\r\n\r\n" for block in body.split(b"\r\n\r\n") if block.strip()]


# Each reader is an opener (see mock_http): set up once, timed per stream.


@asynccontextmanager
async def open_floor(pieces: list[bytes]) -> AsyncIterator[Once]:
    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:

        async def once() -> int:
            count = 0
            url = "https://b.test/v1beta/models/m:streamGenerateContent?alt=sse"
            async with http.stream("POST", url) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        json.loads(line[6:])
                        count += 1
            return count

        yield once


@asynccontextmanager
async def open_llmport(pieces: list[bytes]) -> AsyncIterator[Once]:
    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:
        port = GeminiAdapter("gemini-2.5-flash", api_key="k", http_client=http)

        async def once() -> int:
            count = 0
            async for event in await port.chat_stream([UserMessage("hi")], []):
                count += 1
                if isinstance(event, Done):
                    assert event.usage is not None
            return count

        yield once


@asynccontextmanager
async def open_genai(pieces: list[bytes]) -> AsyncIterator[Once]:
    from google import genai
    from google.genai import types

    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:
        client = genai.Client(api_key="k", http_options=types.HttpOptions(httpx_async_client=http))

        async def once() -> int:
            count = 0
            stream = await client.aio.models.generate_content_stream(
                model="gemini-2.5-flash", contents="hi"
            )
            async for _chunk in stream:
                count += 1
            return count

        yield once


RUNNERS: dict[str, Opener] = {
    "floor": open_floor,
    "llmport": open_llmport,
    "google-genai": open_genai,
}


async def main() -> None:
    from importlib.metadata import version

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    bodies = {"synthetic 2,000 chunks": synthetic(2000)}
    if (RECORDED / "response.body").exists():
        bodies["recorded thinking-thought-signature"] = (RECORDED / "response.body").read_bytes()
    print(f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, google-genai "
          f"{version('google-genai')}; best of {args.rounds} rounds, us per chunk\n")  # fmt: skip
    print("| body, chunking | floor | llmport | google-genai | floor / llmport | SDK / llmport |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, body in bodies.items():
        events = len(per_event(body))
        for chunking, pieces in (("one chunk per read", per_event(body)),
                                 ("4 KiB reads", reads(body))):  # fmt: skip
            us = {k: await measure(r, pieces, events, args.rounds) for k, r in RUNNERS.items()}
            base = us["llmport"]
            ratios = f"{us['floor'] / base:.2f}x | {us['google-genai'] / base:.2f}x"
            print(f"| {name} ({events}), {chunking} | {us['floor']:.2f} | {base:.2f} | "
                  f"{us['google-genai']:.2f} | {ratios} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
