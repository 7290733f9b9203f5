"""A bounded loopback HTTP/1.1 server for fault tests: byte-exact bodies and every way to fail.

Each request the server receives gets the next scripted :class:`Reply`: a status, headers and a
body sent in the given chunks (each its own write, optionally paced), and then an ending:
``"finish"`` (complete response, connection kept alive), ``"close"`` (FIN before the body is
complete), ``"reset"`` (TCP RST), ``"stall"`` (send nothing more, keep the socket open) or
``"endless"`` (repeat ``endless_chunk`` until the client goes away). ``hang=True`` reads the
request and never answers. The server records every request and notices, by reading while it
writes, when the client closes its connection::

    async with FakeServer() as server:
        server.add(Reply(body=[b"data: 1\\n\\n"], end="stall"))
        ... client.post(server.url + "/v1/chat/completions") ...
        await server.wait_all_closed(timeout=1.0)   # the client closed the connection
        assert server.requests[0].json()["stream"] is True

It runs in the test's own event loop (``asyncio.start_server`` on 127.0.0.1, port 0), never
stores more than ``max_request_bytes`` of a request, and closes every socket on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FakeServer", "Reply", "ReceivedRequest", "sse"]

End = Literal["finish", "close", "reset", "stall", "endless"]


def sse(*events: str | dict[str, Any], done: bool = True) -> list[bytes]:
    """SSE chunks, one per event: dicts as ``data: <json>``, strings as raw data; ``[DONE]``."""
    out = [f"data: {json.dumps(e) if isinstance(e, dict) else e}\n\n".encode() for e in events]
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


@dataclass
class Reply:
    """What the server does with one request."""

    status: int = 200
    headers: Sequence[tuple[str, str]] | dict[str, str] = field(
        default_factory=lambda: {"content-type": "text/event-stream"}
    )
    body: bytes | Sequence[bytes] = b""
    end: End = "finish"
    delay: float = 0.0  # before the status line
    chunk_delay: float = 0.0  # between body chunks
    hang: bool = False  # never answer at all
    chunked: bool = True  # False: no length, the body ends when the connection closes
    endless_chunk: bytes = b"x" * 65536
    endless_limit: int = 1 << 31  # safety bound for "endless"


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    raw_head: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Conn:
    writer: asyncio.StreamWriter
    opened_at: float
    closed_at: float | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class FakeServer:
    """Loopback server; use as ``async with FakeServer() as server``."""

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        handler: Callable[[ReceivedRequest], Reply] | None = None,
        max_request_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self._replies: list[Reply] = list(replies)
        self._handler = handler
        self._max_request_bytes = max_request_bytes
        self.requests: list[ReceivedRequest] = []
        self.connections: list[_Conn] = []
        self.bytes_sent = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in self.connections:
            conn.writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def add(self, *replies: Reply) -> None:
        """Script the replies to the next requests, in order."""
        self._replies.extend(replies)

    # --- observation ---------------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        return sum(1 for c in self.connections if c.closed_at is None)

    async def wait_all_closed(self, timeout: float = 1.0) -> float:
        """Wait until the client closed every connection; seconds waited. TimeoutError if not."""
        start = time.monotonic()
        async with asyncio.timeout(timeout):
            for conn in list(self.connections):
                await conn.closed.wait()
        return time.monotonic() - start

    # --- serving -------------------------------------------------------------------------------

    def _next_reply(self, request: ReceivedRequest) -> Reply:
        if self._handler is not None:
            return self._handler(request)
        if self._replies:
            return self._replies.pop(0)
        return Reply(500, {"content-type": "text/plain"}, b"no reply scripted")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Conn(writer, time.monotonic())
        self.connections.append(conn)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                keep = await self._respond(self._next_reply(request), reader, writer, conn)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # the server is closing; end quietly (asyncio logs a cancelled handler)
        finally:
            self._mark_closed(conn)
            with contextlib.suppress(Exception):
                writer.transport.abort()
            self._tasks.discard(task)

    def _mark_closed(self, conn: _Conn) -> None:
        if conn.closed_at is None:
            conn.closed_at = time.monotonic()
            conn.closed.set()

    async def _read_request(self, reader: asyncio.StreamReader) -> ReceivedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        if len(head) > self._max_request_bytes:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length > self._max_request_bytes:
            return None
        body = await reader.readexactly(length) if length else b""
        return ReceivedRequest(method, path, headers, body, head)

    async def _watch_close(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        # While a response is being sent the client sends nothing (no pipelining): any read
        # result means it closed (EOF) or reset the connection.
        with contextlib.suppress(ConnectionError, OSError):
            await reader.read(1)
        self._mark_closed(conn)

    async def _respond(
        self,
        reply: Reply,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: _Conn,
    ) -> bool:
        watcher = asyncio.create_task(self._watch_close(reader, conn))
        try:
            return await self._send(reply, writer, conn)
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher

    async def _write(self, writer: asyncio.StreamWriter, data: bytes, conn: _Conn) -> None:
        if conn.closed_at is not None:
            raise ConnectionResetError("client closed")
        writer.write(data)
        self.bytes_sent += len(data)
        await writer.drain()

    async def _send(self, reply: Reply, writer: asyncio.StreamWriter, conn: _Conn) -> bool:
        if reply.hang:
            await conn.closed.wait()
            return False
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = list(reply.headers.items() if isinstance(reply.headers, dict) else reply.headers)
        names = {k.lower() for k, _ in headers}
        if reply.chunked and "transfer-encoding" not in names and "content-length" not in names:
            headers.append(("transfer-encoding", "chunked"))
        if not reply.chunked:
            headers.append(("connection", "close"))
        head = f"HTTP/1.1 {reply.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        await self._write(writer, (head + "\r\n").encode("latin-1"), conn)
        chunks = [reply.body] if isinstance(reply.body, bytes) else list(reply.body)
        framed = reply.chunked and "content-length" not in names
        for index, chunk in enumerate(chunks):
            if index and reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            if not chunk:
                continue
            data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if framed else chunk
            await self._write(writer, data, conn)
        match reply.end:
            case "finish":
                if framed:
                    await self._write(writer, b"0\r\n\r\n", conn)
                return reply.chunked
            case "close":
                writer.close()
                return False
            case "reset":
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return False
            case "stall":
                await conn.closed.wait()
                return False
            case "endless":
                sent = 0
                piece = reply.endless_chunk
                data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if framed else piece
                while sent < reply.endless_limit:
                    await self._write(writer, data, conn)
                    sent += len(piece)
                return False
        return False  # pragma: no cover
