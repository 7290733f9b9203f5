"""The transports side by side: per event, per live event, per request, many open streams.

A loopback HTTP/1.1 server **in another process** (so the client's CPU is measured alone)
answers every request with a gpt-4o style SSE stream (``bench_stream.make_body``), chunked:

- ``bulk``: the whole body in one write (bytes to events, the parsing cost);
- ``live``: one write per event, ``--gap`` ms apart (a live model: one event per TCP read);
- ``request``: a 1-delta stream, one request after another on a warm connection.

Readers, all in the same run on the same bytes:

- ``raw-protocol``: an ``asyncio.Protocol`` that splits ``data:`` lines and ``json.loads`` them
  (no HTTP parsing at all: the floor of any reader);
- ``aiohttp-min``: ``aiohttp`` ``iter_any()`` + the same splitting + ``json.loads``;
- ``httpx2-lines``: ``httpx2`` ``aiter_lines()`` + ``json.loads`` (the floor on httpx2);
- ``llmport/httpx``, ``llmport/httpx2``, ``llmport/aiohttp``: ``OpenAIChatAdapter`` on each
  transport, iterated to its ``Done`` (``llmport/httpx`` is today's default);
- ``openai-sdk``: the official SDK (``AsyncOpenAI``, its own httpx2 client) iterated to its end;
- ``pydantic-ai``: ``OpenAIChatModel`` with an ``OpenAIProvider`` at the server, streamed with
  ``Model.request_stream`` (its lowest-level streaming call) and iterated to its end;
- ``litellm``: ``litellm.acompletion(model="openai/gpt-4o", stream=True)`` iterated to its end.

pydantic-ai and LiteLLM are optional (``pip install -e '.[bench-peers]'``): a peer whose package
is not importable is skipped with a note. Neither is let call home: LiteLLM reads its bundled
model-cost map and configs (``LITELLM_LOCAL_*``), its telemetry is off, and pydantic-ai sends
nothing without logfire configured.

Run: ``python bench/bench_transport.py [--events 2000] [--rounds 5] [--streams 1000]
[--stream-events 200] [--gap 20]``. Prints Markdown tables with ratios. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import os
import socket
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stream import make_body

from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.events import Done
from llmport.domain.messages import UserMessage

HI = [UserMessage("hi")]
Reader = Callable[[str, int], Awaitable[int]]

# The peers, by the module each needs; a peer that is not importable is skipped with a note.
PEERS = {"pydantic-ai": "pydantic_ai", "litellm": "litellm"}
# LiteLLM reads its model-cost map and configs from the package instead of fetching them, and
# sends no telemetry (the machine may have no internet; a fetch would also cost time).
PEER_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    # LiteLLM's aiohttp pool allows 500 connections per host by default, which would queue half
    # of the 1,000 open streams; raised to the 1,000 that llmport's and the SDK's clients allow.
    "AIOHTTP_CONNECTOR_LIMIT_PER_HOST": "1000",
}
os.environ.update(PEER_ENV)


def peers_missing() -> list[str]:
    return [name for name, module in PEERS.items() if importlib.util.find_spec(module) is None]


# --- the server (another process) ---------------------------------------------------------------


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    bodies: dict[int, list[bytes]] = {}
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP (an accepted socket
    # of a socket() made without it has proto 0): without it, Nagle + delayed ACK add 40 ms.
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            # /MODE/EVENTS/GAP_MS/...
            _, mode, events, gap, *_ = head.split(b" ", 2)[1].decode().split("/")
            count = int(events)
            pieces = bodies.get(count) or bodies.setdefault(count, make_body(count))
            head = (
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            if mode != "live":
                writer.write(head + _chunk(b"".join(pieces)) + b"0\r\n\r\n")
                await writer.drain()
                continue
            writer.write(head)
            pause = int(gap) / 1000
            for piece in pieces:
                writer.write(_chunk(piece))
                await writer.drain()
                await asyncio.sleep(pause)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_handle, sock=sock, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_server() -> tuple[multiprocessing.Process, str]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    port = int(sock.getsockname()[1])
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,), daemon=True)
    process.start()
    sock.close()
    return process, f"http://127.0.0.1:{port}"


# --- the readers ---------------------------------------------------------------------------------


def _split_events(buffer: bytes) -> tuple[int, bytes]:
    """Parse the complete ``data:`` lines of ``buffer``; (events, the unfinished rest)."""
    count = 0
    lines = buffer.split(b"\n")
    rest = lines.pop()
    for line in lines:
        if line.startswith(b"data: {"):
            json.loads(line[6:])
            count += 1
    return count, rest


class _RawProtocol(asyncio.Protocol):
    def __init__(self, done: asyncio.Future[int]) -> None:
        self.done = done
        self.buffer = b""
        self.count = 0

    def data_received(self, data: bytes) -> None:
        found, self.buffer = _split_events(self.buffer + data)
        self.count += found
        if b"[DONE]" in data and not self.done.done():
            self.done.set_result(self.count)


class Contenders:
    """Each reader, with the clients it keeps warm between requests."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.clients: dict[str, Any] = {}
        self.ports: dict[str, OpenAIChatAdapter] = {}
        self.sdks: dict[str, Any] = {}
        self.models: dict[str, Any] = {}  # pydantic-ai's

    async def aclose(self) -> None:
        for port in self.ports.values():
            await port.aclose()
        for sdk in self.sdks.values():
            await sdk.close()
        for model in self.models.values():
            await model.client.close()
        for name, client in self.clients.items():
            await (client.close() if name == "aiohttp" else client.aclose())

    def url(self, mode: str, events: int, gap: int) -> str:
        return f"{self.base}/{mode}/{events}/{gap}"

    async def raw_protocol(self, url: str) -> int:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        host, port = url.split("//")[1].split("/")[0].split(":")
        path = "/" + url.split("//")[1].split("/", 1)[1]
        transport, _ = await loop.create_connection(lambda: _RawProtocol(done), host, int(port))
        transport.write(
            f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 2\r\n\r\n{{}}".encode()
        )
        count = await done
        transport.close()
        return count

    async def aiohttp_min(self, url: str) -> int:
        import aiohttp

        session = self.clients.get("aiohttp")
        if session is None:
            connector = aiohttp.TCPConnector(limit=0)
            session = self.clients["aiohttp"] = aiohttp.ClientSession(connector=connector)
        count, rest = 0, b""
        async with session.post(url, data=b"{}") as response:
            async for data in response.content.iter_any():
                found, rest = _split_events(rest + data)
                count += found
        return count

    async def httpx2_lines(self, url: str) -> int:
        import httpx2

        client = self.clients.get("httpx2")
        if client is None:
            limits = httpx2.Limits(max_connections=2000, max_keepalive_connections=2000)
            client = self.clients["httpx2"] = httpx2.AsyncClient(limits=limits)
        count = 0
        async with client.stream("POST", url, content=b"{}") as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    json.loads(line[6:])
                    count += 1
        return count

    async def llmport(self, transport: str, url: str) -> int:
        key = f"{transport} {url}"
        port = self.ports.get(key)
        if port is None:
            port = self.ports[key] = OpenAIChatAdapter(
                "gpt-4o", api_key="sk-bench", base_url=url, transport=transport
            )
        count = 0
        stream = await port.chat_stream(HI, [])
        async with stream:
            async for event in stream:
                count += 1
                if isinstance(event, Done):
                    assert event.usage is not None
        return count

    async def openai_sdk(self, url: str) -> int:
        from openai import AsyncOpenAI

        sdk = self.sdks.get(url)
        if sdk is None:
            sdk = self.sdks[url] = AsyncOpenAI(api_key="sk-bench", base_url=url)
        count = 0
        stream = await sdk.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for _chunk in stream:
            count += 1
        return count

    async def pydantic_ai(self, url: str) -> int:
        from pydantic_ai.messages import ModelRequest
        from pydantic_ai.models import ModelRequestParameters
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        model = self.models.get(url)
        if model is None:
            provider = OpenAIProvider(base_url=url, api_key="sk-bench")
            model = self.models[url] = OpenAIChatModel("gpt-4o", provider=provider)
        count = 0
        messages = [ModelRequest.user_text_prompt("hi")]
        async with model.request_stream(messages, None, ModelRequestParameters()) as stream:
            async for _event in stream:
                count += 1
        return count

    async def litellm(self, url: str) -> int:
        import litellm

        count = 0
        stream = await litellm.acompletion(
            model="openai/gpt-4o",
            api_base=url,
            api_key="sk-bench",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
        async for _chunk in stream:
            count += 1
        return count

    def readers(self) -> dict[str, Callable[[str], Awaitable[int]]]:
        missing = peers_missing()
        return {
            "raw-protocol": self.raw_protocol,
            "aiohttp-min": self.aiohttp_min,
            "httpx2-lines": self.httpx2_lines,
            "llmport/httpx (today)": lambda url: self.llmport("httpx", url),
            "llmport/httpx2": lambda url: self.llmport("httpx2", url),
            "llmport/aiohttp": lambda url: self.llmport("aiohttp", url),
            "openai-sdk": self.openai_sdk,
            **{
                name: read
                for name, read in (("pydantic-ai", self.pydantic_ai), ("litellm", self.litellm))
                if name not in missing
            },
        }


# --- measuring ---------------------------------------------------------------------------------


async def per_event(c: Contenders, mode: str, events: int, gap: int, rounds: int) -> dict[str, Any]:
    """Best of ``rounds``: (wall us per event, client CPU us per event) per reader. The readers
    take turns within each round, so a noisy moment of the machine hits them all alike."""
    url = c.url(mode, events, gap)
    readers = c.readers()
    for read in readers.values():
        await read(url)  # warm-up: imports, the connection
    best = {name: [float("inf"), float("inf")] for name in readers}
    for _ in range(rounds):
        for name, read in readers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            await read(url)
            figures = best[name]
            figures[0] = min(figures[0], time.perf_counter() - wall)
            figures[1] = min(figures[1], time.process_time() - cpu)
    return {name: (w / events * 1e6, p / events * 1e6) for name, (w, p) in best.items()}


async def per_request(c: Contenders, requests: int, rounds: int) -> dict[str, float]:
    """Best of ``rounds``: wall us per 1-delta request, one after another, warm connection."""
    url = c.url("bulk", 1, 0)
    readers = {k: v for k, v in c.readers().items() if k != "raw-protocol"}  # no warm connection
    for read in readers.values():
        await read(url)
    best = dict.fromkeys(readers, float("inf"))
    for _ in range(rounds):
        for name, read in readers.items():
            started = time.perf_counter()
            for _ in range(requests):
                await read(url)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: value / requests * 1e6 for name, value in best.items()}


async def bursts(base: str, streams: int) -> dict[str, tuple[float, float]]:
    """(cold s, warm s): ``streams`` concurrent 1-delta streams on a new adapter, then again."""
    out: dict[str, tuple[float, float]] = {}
    url = f"{base}/bulk/1/0"
    for transport in ("httpx", "httpx2", "aiohttp"):
        async with OpenAIChatAdapter(
            "gpt-4o", api_key="sk-bench", base_url=url, transport=transport
        ) as port:

            async def one(adapter: OpenAIChatAdapter = port) -> int:
                stream = await adapter.chat_stream(HI, [])
                async with stream:
                    return sum([1 async for _ in stream])

            times = []
            for _ in range(2):
                started = time.perf_counter()
                counts = await asyncio.gather(*(one() for _ in range(streams)))
                times.append(time.perf_counter() - started)
                assert all(counts)
        out[f"llmport/{transport}"] = (times[0], times[1])
    return out


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def many_streams(name: str, base: str, streams: int, events: int, gap: int, traced: bool) -> None:
    """In a fresh process: ``streams`` concurrent live streams. Prints the client's CPU seconds
    and the peak RSS growth per stream, or (``traced``) the Python memory held per open stream
    half-way through (tracemalloc, in a run of its own: it slows everything down)."""

    async def main() -> None:
        c = Contenders(base)
        read = c.readers()[name]
        await read(c.url("bulk", 1, 0))  # warm: imports, the first connection
        url = c.url("live", events, gap)
        before = peak = _rss_kb()
        cpu = time.process_time()
        if traced:
            tracemalloc.start()
        tasks = [asyncio.create_task(read(url)) for _ in range(streams)]
        if traced:
            await asyncio.sleep(gap / 1000 * events / 2)  # every stream open, half read
            held = tracemalloc.get_traced_memory()[0] / streams / 1024
            tracemalloc.stop()
        while not all(t.done() for t in tasks):
            await asyncio.sleep(gap / 1000 * events / 10)
            peak = max(peak, _rss_kb())
        counts = [t.result() for t in tasks]
        cpu = time.process_time() - cpu
        await c.aclose()
        assert all(n >= events for n in counts), counts[:3]
        figures = {"traced": held} if traced else {"cpu": cpu, "kb": (peak - before) / streams}
        print(json.dumps(figures))

    asyncio.run(main())


def run_many(base: str, streams: int, events: int, gap: int) -> dict[str, dict[str, float]]:
    import subprocess

    out: dict[str, dict[str, float]] = {}
    for name in Contenders(base).readers():
        out[name] = {}
        for traced in (False, True):
            result = subprocess.run(
                [sys.executable, __file__, "--many", name, "--base", base,
                 "--streams", str(streams), "--stream-events", str(events), "--gap", str(gap),
                 *(["--traced"] if traced else [])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            out[name].update(json.loads(result.stdout.strip().splitlines()[-1]))
    return out


# --- printing ----------------------------------------------------------------------------------


def table(title: str, header: str, rows: dict[str, float], base: str, unit: str) -> None:
    print(f"\n### {title}\n\n| reader | {header} | vs {base} |\n|---|---:|---:|")
    for name, value in rows.items():
        print(f"| {name} | {value:.2f} {unit} | {value / rows[base]:.2f}x |")


async def tables(base: str, args: argparse.Namespace) -> None:
    c = Contenders(base)
    try:
        bulk = await per_event(c, "bulk", args.events, 0, args.rounds)
        live = await per_event(c, "live", args.live_events, args.live_gap, args.rounds)
        request = await per_request(c, args.requests, args.rounds)
        burst = await bursts(base, args.burst)
    finally:
        await c.aclose()
    today = "llmport/httpx (today)"
    table("Per event, bulk (wall)", "us/event", {k: v[0] for k, v in bulk.items()}, today, "us")
    table(
        "Per live event (one write per event), client CPU",
        "CPU us/event",
        {k: v[1] for k, v in live.items()},
        "raw-protocol",
        "us",
    )
    table("Per request (1-delta stream, warm connection)", "us/request", request, today, "us")
    print(
        f"\n### A burst of {args.burst} streams on a new adapter (cold), then again (warm)\n\n"
        "| transport (default client) | cold s | warm s | warm / cold |\n|---|---:|---:|---:|"
    )
    for name, (cold, warm) in burst.items():
        print(f"| {name} | {cold:.2f} | {warm:.2f} | {warm / cold:.2f}x |")
    if args.streams:
        many = run_many(base, args.streams, args.stream_events, args.gap)
        print(
            f"\n### {args.streams} streams x {args.stream_events} events held open "
            f"({args.gap} ms apart)\n\n| reader | CPU s | vs aiohttp-min | Python KB held per "
            "open stream (tracemalloc) | peak RSS growth per stream, KB |"
            "\n|---|---:|---:|---:|---:|"
        )
        base_cpu = many["aiohttp-min"]["cpu"]
        for name, f in many.items():
            print(
                f"| {name} | {f['cpu']:.2f} | {f['cpu'] / base_cpu:.2f}x | {f['traced']:.1f} "
                f"| {f['kb']:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--live-events", type=int, default=300)
    parser.add_argument("--live-gap", type=int, default=1, help="ms between live events")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--stream-events", type=int, default=200)
    parser.add_argument("--gap", type=int, default=20, help="ms between events of many streams")
    parser.add_argument("--many", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.many:
        many_streams(args.many, args.base, args.streams, args.stream_events, args.gap, args.traced)
        return
    from importlib.metadata import version

    import aiohttp
    import httpx
    import httpx2
    import openai

    missing = peers_missing()
    peers = "".join(
        f", {name} {version(dist)}"
        for name, dist in (("pydantic-ai", "pydantic-ai-slim"), ("litellm", "litellm"))
        if name not in missing
    )
    print(
        f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, httpx2 "
        f"{httpx2.__version__}, aiohttp {aiohttp.__version__}, openai {openai.__version__}"
        f"{peers}; {os.cpu_count()} cores; server in another process"
    )
    for name in missing:
        print(f"(skipped {name}: not installed; pip install -e '.[bench-peers]')")
    process, base = start_server()
    try:
        time.sleep(0.3)
        asyncio.run(tables(base, args))
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
