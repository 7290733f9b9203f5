"""``McpTools`` against a real MCP server (tests/support/mcp_server.py, written with the mcp
SDK's server side): over stdio as a subprocess and over streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import pytest

pytest.importorskip("mcp", reason="the mcp extra is not installed")

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.agent.loop import Agent
from llmport.domain.messages import ToolCall, ToolMessage
from llmport.mcp import McpError, McpServer, McpTools
from tests.support.mcp_server import SCRIPT, HttpServer

TOKEN = "mcp-test-token-5f2c9a81d7"
# The stdio servers' standard error (the SDK needs a real file); kept for the session.
ERRLOG = open(os.devnull, "w")  # noqa: SIM115


def stdio(prefix: str | None = None, name: str = "test-tools") -> McpServer:
    return McpServer.stdio([sys.executable, SCRIPT, "--name", name], prefix=prefix)


def tool_results(result_transcript: tuple[object, ...]) -> list[ToolMessage]:
    return [m for m in result_transcript if isinstance(m, ToolMessage)]


@pytest.fixture
def http_server():
    server = HttpServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


async def test_stdio_tools_are_listed_with_their_schemas_and_called_through_the_agent() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("add", {"a": 2, "b": 40}), ("shout", {"text": "hi"})),
            ScriptedTurn.text("done"),
        ]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        names = [d.name for d in tools.list_tools()]
        assert names == ["add", "shout", "fail", "pid", "die", "grow", "hang"]
        add = tools.list_tools()[0]
        assert add.description == "Add two integers."
        assert add.parameters["type"] == "object"
        assert set(add.parameters["properties"]) == {"a", "b"}
        assert add.parameters["required"] == ["a", "b"]
        result = await Agent(port, tools=tools).run("add and shout")
    assert result.text == "done"
    assert [(m.content, m.is_error) for m in tool_results(result.transcript)] == [
        ("42", False),
        ("HI", False),
    ]
    # The model was offered the server's tools.
    assert [t.name for t in port.calls[0].tools] == names


async def test_a_tool_error_is_an_error_result_and_the_run_goes_on() -> None:
    port = ScriptedAdapter(
        [ScriptedTurn.tool_calls(("fail", {"reason": "no disk"})), ScriptedTurn.text("ok")]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        result = await Agent(port, tools=tools).run("go")
    (message,) = tool_results(result.transcript)
    assert message.is_error
    assert "failed on purpose: no disk" in message.content
    assert result.text == "ok"


async def test_a_tool_result_that_echoes_a_header_secret_reaches_the_model_scrubbed() -> None:
    secret = "hdr-secret-9c1d0e77aa"
    # Declaring the header holds it as a Secret, which registers it for scrubbing.
    McpServer.http("http://127.0.0.1:1/mcp", headers={"X-Service-Token": secret})
    port = ScriptedAdapter(
        [ScriptedTurn.tool_calls(("fail", {"reason": secret})), ScriptedTurn.text("x")]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        result = await Agent(port, tools=tools).run("go")
    (message,) = tool_results(result.transcript)
    assert message.is_error
    assert secret not in message.content and "failed on purpose: ***" in message.content
    sent = [m for m in port.calls[1].messages if isinstance(m, ToolMessage)]
    assert sent == [message]


async def test_invalid_arguments_and_unknown_tools_are_error_results() -> None:
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        bad = await tools.execute(ToolCall("c1", "add", {"a": "x"}))
        unknown = await tools.execute(ToolCall("c2", "rm_rf", {}))
    assert bad.is_error and bad.tool_call_id == "c1"
    assert unknown.is_error and "unknown tool 'rm_rf'" in unknown.content
    assert "add" in unknown.content


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_stdio_server_is_stopped_when_the_block_ends() -> None:
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        pid = int((await tools.execute(ToolCall("c", "pid", {}))).content)
        assert alive(pid)
    assert not alive(pid)


async def test_the_stdio_server_is_stopped_when_the_run_fails_or_is_cancelled() -> None:
    port = ScriptedAdapter([ScriptedTurn.tool_calls(("hang", {}))])
    with pytest.raises(RuntimeError, match="boom"):
        async with McpTools(stdio(), errlog=ERRLOG) as tools:
            pid = int((await tools.execute(ToolCall("c", "pid", {}))).content)
            raise RuntimeError("boom")
    assert not alive(pid)

    async def run() -> None:
        nonlocal pid
        async with McpTools(stdio(), errlog=ERRLOG) as tools:
            pid = int((await tools.execute(ToolCall("c", "pid", {}))).content)
            await Agent(port, tools=tools, tool_timeout=None).run("hang")

    task = asyncio.create_task(run())
    while port.remaining:  # the hanging call has been made
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not alive(pid)


async def test_a_server_that_exits_mid_run_gives_error_results_and_the_run_goes_on() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("add", {"a": 1, "b": 1})),
            ScriptedTurn.tool_calls(("die", {})),
            ScriptedTurn.tool_calls(("add", {"a": 2, "b": 2})),
            ScriptedTurn.text("the tools are gone"),
        ]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        result = await Agent(port, tools=tools, tool_timeout=20).run("go")
    first, died, after = tool_results(result.transcript)
    assert (first.content, first.is_error) == ("2", False)
    # Errors at once, from the closed connection (not the tool timeout's ToolTimeout).
    assert died.is_error and "the MCP server 'mcp_server.py' is gone" in died.content
    assert after.is_error and "the MCP server 'mcp_server.py' is gone" in after.content
    assert "ToolTimeout" not in died.content + after.content
    assert result.text == "the tools are gone"


async def test_a_hanging_server_is_bounded_by_the_agent_tool_timeout() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("hang", {})),
            ScriptedTurn.tool_calls(("add", {"a": 3, "b": 4})),
            ScriptedTurn.text("ok"),
        ]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        result = await Agent(port, tools=tools, tool_timeout=0.5).run("go")
    hung, after = tool_results(result.transcript)
    assert hung.is_error and "ToolTimeout" in hung.content
    assert (after.content, after.is_error) == ("7", False)  # the server still serves


async def test_a_hanging_server_is_bounded_by_the_call_timeout() -> None:
    async with McpTools(stdio(), call_timeout=0.3, errlog=ERRLOG) as tools:
        hung = await tools.execute(ToolCall("c", "hang", {}))
    assert hung.is_error
    assert "did not answer 'hang' within 0.3 s" in hung.content


async def test_several_servers_need_prefixes_when_their_tools_clash() -> None:
    with pytest.raises(McpError, match="both offer a tool named 'add'; give one of them a prefix"):
        async with McpTools(stdio(name="one"), stdio(name="two"), errlog=ERRLOG):
            pass
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("a_add", {"a": 1, "b": 2}), ("b_shout", {"text": "x"})),
            ScriptedTurn.text("both"),
        ]
    )
    async with McpTools(stdio("a"), stdio("b"), errlog=ERRLOG) as tools:
        names = [d.name for d in tools.list_tools()]
        assert names[:2] == ["a_add", "a_shout"]
        assert "b_add" in names and "add" not in names
        result = await Agent(port, tools=tools).run("go")
    assert [m.content for m in tool_results(result.transcript)] == ["3", "X"]


async def test_a_server_that_cannot_start_is_a_typed_error() -> None:
    with pytest.raises(McpError, match="could not start the MCP server"):
        async with McpTools(
            McpServer.stdio([sys.executable, "-c", "import sys; sys.exit(1)"], name="broken"),
            connect_timeout=10,
            errlog=ERRLOG,
        ):
            pass
    with pytest.raises(McpError, match="did not answer within 0.5 s"):
        async with McpTools(
            McpServer.stdio([sys.executable, "-c", "import time; time.sleep(60)"], name="mute"),
            connect_timeout=0.5,
            errlog=ERRLOG,
        ):
            pass


async def test_a_server_cannot_change_the_tools_of_a_run() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("grow", {})),
            ScriptedTurn.tool_calls(("late", {})),
            ScriptedTurn.text("done"),
        ]
    )
    async with McpTools(stdio(), errlog=ERRLOG) as tools:
        before = list(tools.list_tools())
        result = await Agent(port, tools=tools).run("go")
        assert list(tools.list_tools()) == before
        # The server's own list did grow: asking it again shows the new tool.
        (connection,) = tools._connections

        async def fresh(client):
            return await client.list_tools(cache_mode="refresh")

        assert "late" in [t.name for t in (await connection.request(fresh)).tools]
    grown, late = tool_results(result.transcript)
    assert grown.content == "grown"
    assert late.is_error and "unknown tool 'late'" in late.content
    assert [t.name for t in port.calls[-1].tools] == [d.name for d in before]


async def test_the_tool_list_is_read_once_and_needs_the_block() -> None:
    tools = McpTools(stdio(), errlog=ERRLOG)
    with pytest.raises(RuntimeError, match="async with"):
        tools.list_tools()
    closed = await tools.execute(ToolCall("c", "add", {"a": 1, "b": 1}))
    assert closed.is_error and "not connected" in closed.content
    async with tools:
        first = tools.list_tools()
        assert tools.list_tools() is first


# --- streamable HTTP -------------------------------------------------------------------------


async def test_http_tools_are_listed_and_called_with_the_auth_header(http_server) -> None:
    port = ScriptedAdapter(
        [ScriptedTurn.tool_calls(("web_add", {"a": 5, "b": 6})), ScriptedTurn.text("11")]
    )
    server = McpServer.http(http_server.url, bearer_token=TOKEN, prefix="web")
    assert TOKEN not in repr(server)
    async with McpTools(server) as tools:
        assert "web_add" in [d.name for d in tools.list_tools()]
        assert TOKEN not in repr(tools)
        result = await Agent(port, tools=tools).run("go")
    (message,) = tool_results(result.transcript)
    assert (message.content, message.is_error) == ("11", False)


async def test_http_without_the_token_is_refused(http_server) -> None:
    with pytest.raises(McpError, match="could not start the MCP server") as caught:
        async with McpTools(
            McpServer.http(http_server.url, bearer_token="wrong-token-123456"),
            connect_timeout=10,
        ):
            pass
    assert "wrong-token-123456" not in str(caught.value)


async def test_http_secret_header_never_in_a_log(http_server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("add", {"a": 1, "b": 2}), ("fail", {"reason": "nope"})),
            ScriptedTurn.text("ok"),
        ]
    )
    server = McpServer.http(
        http_server.url, headers={"X-Api-Key": "unused", "Authorization": f"Bearer {TOKEN}"}
    )
    async with McpTools(server) as tools:
        result = await Agent(port, tools=tools).run("go")
    added, failed = tool_results(result.transcript)
    assert added.content == "3"
    assert failed.is_error
    assert caplog.records  # the SDK and the HTTP client did log at DEBUG
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


async def test_an_http_server_that_goes_away_mid_run_gives_error_results(http_server) -> None:
    async def approve(call: ToolCall) -> bool:
        if call.id == "stop":
            await asyncio.to_thread(http_server.stop)
        return True

    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("add", {"a": 1, "b": 1}, "first")),
            ScriptedTurn.tool_calls(("add", {"a": 2, "b": 2}, "stop")),
            ScriptedTurn.text("gone"),
        ]
    )
    async with McpTools(McpServer.http(http_server.url, bearer_token=TOKEN)) as tools:
        result = await Agent(port, tools=tools, tool_timeout=5, approve=approve).run("go")
    first, gone = tool_results(result.transcript)
    assert first.content == "2" and not first.is_error
    assert gone.is_error and "is gone" in gone.content
    assert result.text == "gone"
