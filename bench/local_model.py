"""The embedded model's speed: tokens/s by thread count, and the Quick start agent run.

    python bench/local_model.py [--threads 1 2] [--runs 3]

Prints a table. Numbers swing on a shared machine (llama.cpp's threads spin at barriers, so a
busy core slows a 2-thread run a lot more than a 1-thread one); the best of ``--runs`` is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from llmport import Agent, Done, TextDelta, UserMessage
from llmport.adapters.local import LocalLlamaAdapter
from llmport.adapters.local.model import default_threads
from llmport.cli.builtin_tools import BUILTIN_TOOLS

PROMPT = "Write a long story about a lighthouse keeper."


async def tokens_per_second(threads: int, runs: int, max_tokens: int) -> float:
    # A distinct context size gives each thread count its own loaded model.
    port = LocalLlamaAdapter(n_threads=threads, n_ctx=4096 + threads, max_tokens=max_tokens)
    await port.load()
    best = 0.0
    for _ in range(runs):
        stream = await port.chat_stream([UserMessage(PROMPT)], [])
        first: float | None = None
        tokens = 0
        async with stream:
            async for event in stream:
                if isinstance(event, TextDelta) and first is None:
                    first = time.perf_counter()
                if isinstance(event, Done) and event.usage is not None:
                    tokens = event.usage.output_tokens
        if first is not None and tokens > 1:
            best = max(best, (tokens - 1) / (time.perf_counter() - first))
    return best


async def quick_start(runs: int) -> float:
    port = LocalLlamaAdapter()
    started = time.perf_counter()
    await port.load()
    load = time.perf_counter() - started
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        result = await Agent(port, tools=[BUILTIN_TOOLS["calculator"]]).run("What is 17 * 23?")
        best = min(best, time.perf_counter() - started)
        assert result.turns == 2, result
    print(f"model load: {load:.2f} s (first load in this process)")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=200)
    args = parser.parse_args()
    print(f"default threads here: {default_threads()}")
    print(f"{'threads':>7}  {'tokens/s':>8}")
    for threads in args.threads:
        rate = asyncio.run(tokens_per_second(threads, args.runs, args.max_tokens))
        print(f"{threads:>7}  {rate:>8.1f}")
    seconds = asyncio.run(quick_start(args.runs))
    print(f"Quick start agent run (2 turns, calculator): {seconds:.2f} s")


if __name__ == "__main__":
    main()
