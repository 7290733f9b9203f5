"""Per-event cost of OpenTelemetry instrumentation: off, installed-but-unconfigured, on.

The same gpt-4o style stream (``bench_stream.make_body``) is read, in one run, through:

- ``off``: ``OpenAIChatAdapter.chat_stream`` as it is (what a program without the extra runs);
- ``unconfigured``: ``llmport.otel.instrument(port)`` with no tracer or meter provider set up
  (the API's proxies): the wrapper must hand out the adapter's own stream;
- ``on``: ``instrument(port, tracer_provider=..., meter_provider=...)`` with the real SDK, a
  span processor exporting to memory and a metric reader (a span, three histograms per stream).

Two stream lengths show the per-event cost (long streams) and the fixed per-stream cost (short).

Run: ``python bench/bench_telemetry.py [--rounds 15]``. Prints a Markdown table; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stream import client_for, make_body

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.events import Done
from llmport.domain.messages import UserMessage

Wrap = Callable[[OpenAIChatAdapter], object]


def unconfigured() -> Wrap:
    from llmport.otel import Telemetry, instrument

    telemetry = Telemetry()  # the global providers: nothing configured in this process
    assert not telemetry.active
    return lambda port: instrument(port, telemetry=telemetry)


def configured() -> tuple[Wrap, Callable[[], int]]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from llmport.otel import Telemetry, instrument

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    telemetry = Telemetry(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )

    def spans() -> int:
        count = len(exporter.get_finished_spans())
        exporter.clear()
        return count

    return (lambda port: instrument(port, telemetry=telemetry)), spans


async def read(pieces: list[bytes], wrap: Wrap | None, streams: int) -> int:
    count = 0
    async with client_for(pieces) as client:
        port = OpenAIChatAdapter("gpt-4o", api_key="sk-bench", http_client=client)
        target = wrap(port) if wrap is not None else port
        for _ in range(streams):
            stream = await target.chat_stream([UserMessage("hi")], [])  # type: ignore[attr-defined]
            async for event in stream:
                count += 1
                if isinstance(event, Done):
                    assert event.usage is not None
    return count


async def measure(
    runners: dict[str, Callable[[], Awaitable[int]]], events: int, rounds: int
) -> dict[str, tuple[float, float]]:
    """Rounds interleave the contenders (in a rotating order), so a noisy neighbour or the
    position in a round weighs on them all alike."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for runner in runners.values():
        await runner()  # warm-up
    names = list(runners)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            runner = runners[name]
            start = time.perf_counter()
            await runner()
            times[name].append((time.perf_counter() - start) / events * 1e6)
    return {name: (min(t), statistics.median(t)) for name, t in times.items()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    off_wrap = unconfigured()
    on, spans = configured()
    print(f"Python {sys.version.split()[0]}, best and median of {args.rounds} rounds\n")
    print("| stream | telemetry | us/event (best) | us/event (median) | vs off (best) | (median) |")
    print("|---|---|---:|---:|---:|---:|")
    for chunks, streams in ((2000, 1), (10, 100)):
        pieces = make_body(chunks)
        events = len(pieces) * streams
        contenders: dict[str, Wrap | None] = {"off": None, "unconfigured": off_wrap, "on": on}
        results = await measure(
            {
                name: (lambda w=wrap, p=pieces, n=streams: read(p, w, n))
                for name, wrap in contenders.items()
            },
            events,
            args.rounds,
        )
        exported = spans()
        assert exported == streams * (args.rounds + 1), exported  # "on" really traced
        base, base_median = results["off"]
        label = f"{streams} x {len(pieces)} events"
        for name, (best, median) in results.items():
            print(
                f"| {label} | {name} | {best:.2f} | {median:.2f} | {best / base:.2f}x "
                f"| {median / base_median:.2f}x |"
            )


if __name__ == "__main__":
    asyncio.run(main())
