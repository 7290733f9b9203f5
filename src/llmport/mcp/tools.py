"""``McpTools``: the tools of one or more MCP servers as a ``ToolExecutorPort``.

Lifecycle: ``async with McpTools(...) as tools`` starts (or connects to) every server in turn,
reads each one's tool list once (all pages) and freezes the allow-list: a ``tools/list_changed``
notification later changes nothing, and a call to a name not on the list is refused without
reaching a server. Leaving the block closes every connection and stops every stdio subprocess,
whatever happened inside (an error, a cancellation, a dead server).

Each call is a ``ToolMessage``: the result's text content joined (other content described in
one line, structured content as JSON when there is no text), ``isError`` as ``is_error``. A
server that is gone (exited, connection closed) or answers with a protocol error gives an error
result at once; one that hangs is bounded by ``call_timeout`` here and, in an agent run, by
the agent's ``tool_timeout`` whichever is shorter. Nothing raises out of ``execute``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TextIO

from llmport.core.secrets import Secret, install_log_redaction, scrub
from llmport.domain.messages import ToolCall, ToolMessage
from llmport.domain.tools import ToolDefinition
from llmport.mcp.connection import Connection, ServerGone
from llmport.mcp.servers import McpServer

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult, ListToolsResult

__all__ = ["McpError", "McpTools", "result_text"]

# The SDK's own loggers (its HTTP client's, httpx2's, are among the shell's already).
_LOGGERS: Final = (
    "mcp",
    "mcp.client.streamable_http",
    "mcp.client.stdio",
    "mcp.client.session",
)
_MAX_PAGES: Final = 100


class McpError(Exception):
    """A server could not be started or listed, or its tools clash with another's."""

    def __init__(self, message: str, *, server: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.server = server


@dataclass(frozen=True)
class _Route:
    connection: Connection
    remote_name: str


def result_text(result: Any) -> str:
    """A ``CallToolResult``'s content as the text the model reads."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or ():
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(str(block.text))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {getattr(block, 'mime_type', '') or 'unknown type'}]")
        elif kind == "resource_link":
            parts.append(f"[resource: {block.uri}]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if isinstance(text, str) else f"[resource: {resource.uri}]")
        else:
            parts.append(f"[{kind or 'unknown'} content]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        return json.dumps(structured, ensure_ascii=False, default=str)
    return "\n".join(parts)


async def _list_page(client: Client, cursor: str | None) -> ListToolsResult:
    return await client.list_tools(cursor=cursor)


def _schema(raw: Any) -> dict[str, Any]:
    schema = dict(raw) if isinstance(raw, dict) else {}
    schema.pop("title", None)
    if schema.get("type") != "object":
        schema["type"] = "object"
    schema.setdefault("properties", {})
    return schema


class McpTools:
    """The tools of ``servers`` as one ``ToolExecutorPort`` (enter it with ``async with``).

    ``connect_timeout`` bounds starting and listing each server; ``call_timeout`` (None: no
    limit of its own) bounds each call; ``errlog`` receives the stdio servers' standard error.
    """

    def __init__(
        self,
        *servers: McpServer | str,
        connect_timeout: float = 30.0,
        call_timeout: float | None = None,
        errlog: TextIO | None = None,
    ) -> None:
        if not servers:
            raise ValueError("McpTools needs at least one server")
        self.servers = tuple(
            s if isinstance(s, McpServer) else McpServer.parse_cli(s) for s in servers
        )
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.errlog = errlog
        self._definitions: tuple[ToolDefinition, ...] | None = None
        self._routes: dict[str, _Route] = {}
        self._connections: list[Connection] = []
        self._secrets: tuple[Secret, ...] = tuple(
            secret for server in self.servers for secret in server.secrets()
        )

    def __repr__(self) -> str:
        state = "open" if self._connections else "closed"
        return f"McpTools({', '.join(map(repr, self.servers))}; {state})"

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> McpTools:
        if self._connections:
            raise RuntimeError("McpTools is already open")
        install_log_redaction(_LOGGERS)
        try:
            definitions: list[ToolDefinition] = []
            routes: dict[str, _Route] = {}
            for server in self.servers:
                connection = Connection(server, self.errlog)
                self._connections.append(connection)
                await self._start(connection)
                for definition, remote in await self._list(connection):
                    if definition.name in routes:
                        other = routes[definition.name].connection.server.name
                        raise McpError(
                            f"the MCP servers {other!r} and {server.name!r} both offer a tool "
                            f"named {definition.name!r}; give one of them a prefix",
                            server=server.name,
                        )
                    routes[definition.name] = _Route(connection, remote)
                    definitions.append(definition)
        except BaseException:
            await self.aclose()
            raise
        self._routes = routes
        self._definitions = tuple(definitions)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection and stop every stdio server (safe to call twice)."""
        connections, self._connections = self._connections, []
        self._routes = {}
        for connection in reversed(connections):
            await connection.close()

    async def _start(self, connection: Connection) -> None:
        name = connection.server.name
        try:
            await connection.start(self.connect_timeout)
        except TimeoutError:
            raise McpError(
                f"the MCP server {name!r} did not answer within {self.connect_timeout:g} s",
                server=name,
            ) from None
        except Exception as error:
            raise McpError(
                f"could not start the MCP server {name!r}: {self._describe(error)}", server=name
            ) from None

    async def _list(self, connection: Connection) -> list[tuple[ToolDefinition, str]]:
        server = connection.server
        found: list[tuple[ToolDefinition, str]] = []
        cursor: str | None = None
        try:
            async with asyncio.timeout(self.connect_timeout):
                for _ in range(_MAX_PAGES):
                    page = await connection.request(partial(_list_page, cursor=cursor))
                    for item in page.tools:
                        name = f"{server.prefix}_{item.name}" if server.prefix else item.name
                        definition = ToolDefinition(
                            name=name,
                            description=item.description or "",
                            parameters=_schema(item.input_schema),
                        )
                        found.append((definition, item.name))
                    cursor = page.next_cursor
                    if cursor is None:
                        break
        except TimeoutError:
            raise McpError(
                f"the MCP server {server.name!r} did not list its tools within "
                f"{self.connect_timeout:g} s",
                server=server.name,
            ) from None
        except Exception as error:
            raise McpError(
                f"could not list the tools of the MCP server {server.name!r}: "
                f"{self._describe(error)}",
                server=server.name,
            ) from None
        return found

    # --- the port ----------------------------------------------------------------------------

    def list_tools(self) -> Sequence[ToolDefinition]:
        """The tools read when the block was entered (the same list for the whole run)."""
        if self._definitions is None:
            raise RuntimeError("enter McpTools with 'async with' before listing its tools")
        return self._definitions

    async def execute(self, call: ToolCall) -> ToolMessage:
        """Call the tool on its server; every failure is an error result."""
        route = self._routes.get(call.name)
        if route is None:
            if not self._connections:
                return self._error(call, "the MCP servers are not connected")
            available = ", ".join(sorted(self._routes)) or "none"
            return self._error(call, f"unknown tool {call.name!r}; available: {available}")
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED

        server = route.connection.server.name
        arguments = dict(call.arguments)

        async def call_tool(client: Client) -> CallToolResult:
            return await client.call_tool(route.remote_name, arguments)

        try:
            async with asyncio.timeout(self.call_timeout):
                result = await route.connection.request(call_tool)
        except TimeoutError:
            return self._error(
                call,
                f"ToolTimeout: the MCP server {server!r} did not answer "
                f"{call.name!r} within {self.call_timeout:g} s",
            )
        except ServerGone as error:
            return self._error(call, f"the MCP server {server!r} is gone: {error}")
        except MCPError as error:
            if error.error.code == CONNECTION_CLOSED:
                return self._error(
                    call, f"the MCP server {server!r} is gone: the connection closed"
                )
            return self._error(call, f"the MCP server {server!r} failed: {error.error.message}")
        except Exception as error:
            return self._error(call, f"the MCP server {server!r} failed: {self._describe(error)}")
        return ToolMessage(
            call.id, self._clean(result_text(result)), bool(result.is_error), call.name
        )

    # --- helpers -----------------------------------------------------------------------------

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, BaseExceptionGroup):
            return "; ".join(self._describe(e) for e in error.exceptions[:3])
        text = str(error).strip()
        return self._clean(f"{type(error).__name__}: {text}" if text else type(error).__name__)

    def _clean(self, text: str) -> str:
        return scrub(text, self._secrets) if self._secrets else text

    def _error(self, call: ToolCall, text: str) -> ToolMessage:
        return ToolMessage(call.id, self._clean(text), is_error=True, name=call.name)
