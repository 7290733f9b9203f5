"""One MCP server connection, owned by a task of its own.

The SDK's client runs its transport in an anyio task group: when the transport fails (the
server process exits, the HTTP server goes away), the group cancels the task that entered it.
Entered from the agent's task, a dying server would cancel the whole run. So each connection
is entered, held and left by a dedicated keeper task; requests are made from any task and race
the keeper, so a request to a server that is gone fails at once instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from llmport.mcp.servers import McpServer

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["Connection", "ServerGone"]

T = TypeVar("T")
_CLOSE_TIMEOUT = 10.0


class ServerGone(Exception):
    """The connection ended (the server exited or went away)."""


async def _open(server: McpServer, stack: AsyncExitStack, errlog: TextIO | None) -> Client:
    from mcp import Client

    transport: Any
    if server.command:
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(
            command=server.command[0],
            args=list(server.command[1:]),
            env=dict(server.env) if server.env is not None else None,
            cwd=server.cwd,
        )
        transport = stdio_client(params, errlog=errlog or _stderr())
    else:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        assert server.url is not None
        http = httpx2.AsyncClient(
            headers=server.revealed_headers(), timeout=httpx2.Timeout(30.0, read=300.0)
        )
        await stack.enter_async_context(http)
        transport = streamable_http_client(server.url, http_client=http)
    client = Client(transport, cache=None)
    await stack.enter_async_context(client)
    return client


def _stderr() -> TextIO:
    """Where a stdio server's standard error goes by default: ours, if it is a real file (a
    captured ``sys.stderr`` has no descriptor to hand a subprocess), else the original one."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (OSError, ValueError, AttributeError):
            continue
    raise McpUnavailable("no standard error to hand the MCP server")  # pragma: no cover


class McpUnavailable(Exception):
    """The process has no usable standard error for a stdio server."""


class Connection:
    """A started server: ``await start(timeout)``, ``await request(...)``, ``await close()``."""

    def __init__(self, server: McpServer, errlog: TextIO | None) -> None:
        self.server = server
        self._errlog = errlog
        self._client: Client | None = None
        self._ready: asyncio.Future[None] | None = None
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failure: BaseException | None = None

    async def _keep(self) -> None:
        assert self._ready is not None
        try:
            async with AsyncExitStack() as stack:
                self._client = await _open(self.server, stack, self._errlog)
                self._ready.set_result(None)
                await self._closing.wait()
        except Exception as error:  # the transport failed: the connection is over
            self.failure = error
            if not self._ready.done():
                self._ready.set_exception(error)
        except BaseException as error:  # cancelled (start timed out, the loop is ending)
            if not self._ready.done():
                self._ready.set_exception(ServerGone("the connection was cancelled"))
            if not isinstance(error, asyncio.CancelledError):
                raise
        finally:
            self._client = None
            if not self._ready.done():  # pragma: no cover - the block above sets it
                self._ready.set_exception(ServerGone("the connection ended"))

    async def start(self, limit: float) -> None:
        """Start the server and connect; ``TimeoutError`` after ``limit`` seconds."""
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._keep(), name=f"llmport-mcp:{self.server.name}")
        try:
            async with asyncio.timeout(limit):
                await asyncio.shield(self._ready)
        except BaseException:
            await self.close(cancel=True)
            raise

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done() and self._client is not None

    async def request(self, call: Callable[[Client], Awaitable[T]]) -> T:
        """Run ``call(client)``; ``ServerGone`` as soon as the connection ends."""
        client, keeper = self._client, self._task
        if client is None or keeper is None or keeper.done():
            raise ServerGone(self._why())
        work: asyncio.Task[T] = asyncio.ensure_future(call(client))
        try:
            await asyncio.wait({work, keeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
        if work.cancelled():
            raise ServerGone(self._why())
        return work.result()

    def _why(self) -> str:
        if self.failure is not None:
            text = str(self.failure).strip()
            return (
                f"the connection ended ({type(self.failure).__name__}{': ' if text else ''}{text})"
            )
        return "the connection is closed"

    async def close(self, *, cancel: bool = False) -> None:
        """Leave the connection (a stdio server is stopped); waits for the keeper to finish."""
        task = self._task
        if task is None:
            return
        self._closing.set()
        if cancel:
            task.cancel()
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
        except Exception as error:  # already recorded in ``failure``
            logging.getLogger("llmport.mcp").debug(
                "the MCP server %r closed with %s", self.server.name, type(error).__name__
            )
