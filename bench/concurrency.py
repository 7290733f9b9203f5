"""Many concurrent streams on one process: all finish, none errors, memory per stream stays small.

A loopback HTTP server (asyncio, in this process) answers every request with an OpenAI-style
SSE stream of ``EVENTS`` chunks, ``GAP`` seconds apart, so that all streams are open at once.
One ``OpenAIChatAdapter`` (one shared httpx client) opens ``N`` streams concurrently and reads
them to their ``Done``. Printed: how many finished, how many failed, the wall time, and the
resident memory per open stream (peak RSS growth divided by N).

    python bench/concurrency.py [N]          # default 1000
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from llmport import Done, LlmError, UserMessage
from llmport.adapters.openai_chat import OpenAIChatAdapter

EVENTS = 20
GAP = 0.05


def chunk(payload: dict[str, object]) -> bytes:
    data = b"data: " + json.dumps(payload).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:  # keep-alive: one request after another on this connection
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            for i in range(EVENTS):
                delta = {"content": f"token {i} "}
                writer.write(chunk({"choices": [{"index": 0, "delta": delta}]}))
                await writer.drain()
                await asyncio.sleep(GAP)
            finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            writer.write(chunk(finish))
            done = b"data: [DONE]\n\n"
            writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def main(n: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    port_number = server.sockets[0].getsockname()[1]
    adapter = OpenAIChatAdapter("bench", base_url=f"http://127.0.0.1:{port_number}/v1")
    before = rss_kib()
    finished = failed = 0
    errors: dict[str, int] = {}

    async def one() -> None:
        nonlocal finished, failed
        try:
            stream = await adapter.chat_stream([UserMessage("hi")], [])
            async with stream:
                async for event in stream:
                    if isinstance(event, Done):
                        finished += 1
        except LlmError as error:
            failed += 1
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - start
    growth = rss_kib() - before
    await adapter.aclose()
    await asyncio.sleep(0.2)  # let the server's handlers see their connections close
    server.close()
    await server.wait_closed()
    floor = EVENTS * GAP
    print(f"{'streams':<34}{n:>10}")
    print(f"{'finished with Done':<34}{finished:>10}")
    print(f"{'failed':<34}{failed:>10}  {errors or ''}")
    print(f"{'wall time (s)':<34}{elapsed:>10.2f}  (one stream alone takes {floor:.2f} s)")
    print(f"{'peak RSS growth per stream (KiB)':<34}{growth / n:>10.1f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
