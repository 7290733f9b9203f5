"""Per-event cost of the Responses adapter, bytes to events, beside the official ``openai`` SDK.

Every contender reads the same SSE bytes from the same in-process ``httpx.MockTransport`` in one
run: the floor (httpx ``aiter_lines`` + ``json.loads`` of each ``data:`` line),
``OpenAIResponsesAdapter.chat_stream`` to its ``Done``, and the SDK's
``responses.create(stream=True)`` (typed event objects). Bodies: a synthetic 2,000-delta answer,
and the recorded ``openai/responses-gpt5-reasoning-summary-tool`` when ``../shared/streams`` is
beside the repository; one SSE event per network chunk and 4 KiB reads.

Run: ``python bench/bench_responses.py [--rounds 7]``. Prints a Markdown table. Not a test.
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

from llmport.adapters.openai_responses import OpenAIResponsesAdapter  # noqa: E402
from llmport.domain.events import Done  # noqa: E402
from llmport.domain.messages import UserMessage  # noqa: E402

SSE = "text/event-stream"

RECORDED = (
    ROOT.parent / "shared" / "streams" / "openai" / "responses-gpt5-reasoning-summary-tool"
    / "response.body"
)  # fmt: skip
WORDS = "The quick brown fox jumps over the lazy dog; naïve café 🚀 résumé".split()  # noqa: SIM905


def synthetic(deltas: int) -> bytes:
    def event(data: dict[str, object]) -> bytes:
        return (
            f"event: {data['type']}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
        )

    response = {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5",
                "status": "in_progress", "output": []}  # fmt: skip
    out = [event({"type": "response.created", "sequence_number": 0, "response": response})]
    item = {"id": "msg_1", "type": "message", "status": "in_progress", "content": [],
            "role": "assistant"}  # fmt: skip
    out.append(event({"type": "response.output_item.added", "sequence_number": 1,
                      "output_index": 0, "item": item}))  # fmt: skip
    for i in range(deltas):
        out.append(event({"type": "response.output_text.delta", "sequence_number": i + 2,
                          "item_id": "msg_1", "output_index": 0, "content_index": 0,
                          "delta": " " + WORDS[i % len(WORDS)], "logprobs": [],
                          "obfuscation": "abc"}))  # fmt: skip
    usage = {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": deltas, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": deltas + 12}  # fmt: skip
    done = {**response, "status": "completed", "usage": usage}
    out.append(event({"type": "response.completed", "sequence_number": deltas + 2,
                      "response": done}))  # fmt: skip
    return b"".join(out)


def per_event(body: bytes) -> list[bytes]:
    return [block + b"\n\n" for block in body.split(b"\n\n") if block.strip()]


# Each reader is an opener (see mock_http): set up once, timed per stream.


@asynccontextmanager
async def open_floor(pieces: list[bytes]) -> AsyncIterator[Once]:
    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:

        async def once() -> int:
            count = 0
            async with http.stream("POST", "https://b.test/v1/responses") as r:
                async for line in r.aiter_lines():
                    if line.startswith("data: "):
                        json.loads(line[6:])
                        count += 1
            return count

        yield once


@asynccontextmanager
async def open_llmport(pieces: list[bytes]) -> AsyncIterator[Once]:
    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:
        port = OpenAIResponsesAdapter("gpt-5", api_key="sk-bench", http_client=http)

        async def once() -> int:
            count = 0
            async for event in await port.chat_stream([UserMessage("hi")], []):
                count += 1
                if isinstance(event, Done):
                    assert event.usage is not None
            return count

        yield once


@asynccontextmanager
async def open_openai(pieces: list[bytes]) -> AsyncIterator[Once]:
    from openai import AsyncOpenAI

    async with httpx.AsyncClient(transport=mock_transport(pieces, SSE)) as http:
        sdk = AsyncOpenAI(api_key="sk-bench", base_url="https://b.test/v1", http_client=http)

        async def once() -> int:
            count = 0
            stream = await sdk.responses.create(model="gpt-5", input="hi", stream=True)
            async for _event in stream:
                count += 1
            return count

        yield once


RUNNERS: dict[str, Opener] = {
    "floor": open_floor,
    "llmport": open_llmport,
    "openai": open_openai,
}


async def main() -> None:
    import openai

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    bodies = {"synthetic 2,000 text deltas": synthetic(2000)}
    if RECORDED.exists():
        bodies["recorded gpt5-reasoning-summary-tool"] = RECORDED.read_bytes()
    print(f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, openai "
          f"{openai.__version__}; best of {args.rounds} rounds, us per SSE event\n")  # fmt: skip
    print("| body, chunking | floor | llmport | openai SDK | floor / llmport | SDK / llmport |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, body in bodies.items():
        events = len(per_event(body))
        for chunking, pieces in (("one event per chunk", per_event(body)),
                                 ("4 KiB reads", reads(body))):  # fmt: skip
            us = {k: await measure(r, pieces, events, args.rounds) for k, r in RUNNERS.items()}
            base = us["llmport"]
            ratios = f"{us['floor'] / base:.2f}x | {us['openai'] / base:.2f}x"
            print(f"| {name} ({events} events), {chunking} | {us['floor']:.2f} | {base:.2f} | "
                  f"{us['openai']:.2f} | {ratios} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
