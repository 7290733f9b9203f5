"""A small real MCP server for the tests, written with the mcp SDK's own server side.

Run as a script it serves over stdio (``python tests/support/mcp_server.py [--name NAME]``);
``http_app(token)`` is the same server as a streamable-HTTP ASGI app that answers 401 unless
the request carries ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import threading
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

SCRIPT = os.path.abspath(__file__)


def build(name: str = "test-tools") -> MCPServer:
    server: MCPServer = MCPServer(name, log_level="CRITICAL")

    @server.tool()
    def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    @server.tool()
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    @server.tool()
    def fail(reason: str) -> str:
        """Always fails with the given reason."""
        raise ToolError(f"failed on purpose: {reason}")

    @server.tool()
    def pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    @server.tool()
    def die() -> str:
        """Ends the server process at once (stdio) without answering."""
        os._exit(3)

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Adds a tool named 'late' and tells the client its tool list changed."""

        def late() -> str:
            """A tool that appeared after the list was read."""
            return "late"

        server.add_tool(late)
        await ctx.session.send_tool_list_changed()
        return "grown"

    @server.tool()
    async def hang() -> str:
        """Never answers."""
        await asyncio.sleep(3600)
        return "unreachable"

    return server


def http_app(token: str, name: str = "test-tools-http") -> Any:
    """The server as an ASGI app over streamable HTTP, requiring a bearer token."""
    app = build(name).streamable_http_app()
    expected = f"Bearer {token}".encode()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != expected:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await app(scope, receive, send)

    return guarded


class HttpServer:
    """``http_app(token)`` served by uvicorn on 127.0.0.1 (a random port) in a thread."""

    def __init__(self, token: str) -> None:
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        config = uvicorn.Config(
            http_app(token), log_level="critical", lifespan="on", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> HttpServer:
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(10)
        self.sock.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="test-tools")
    build(parser.parse_args().name).run()
