"""``llmport run --mcp / --mcp-url``: tools from real MCP servers, in process over a scripted
model that calls them (tests/support/mcp_server.py is the server)."""

from __future__ import annotations

import io
import json
import shlex
import sys

import pytest

pytest.importorskip("mcp", reason="the mcp extra is not installed")

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.cli.main import main
from llmport.cli.session import CliError, mcp_servers
from tests.support.mcp_server import SCRIPT, HttpServer

TOKEN = "cli-mcp-token-77d0c3e9b2"
SERVER = shlex.join([sys.executable, SCRIPT])


def calling_model(model: str, **options: object) -> ScriptedAdapter:
    return ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(
                ("t_add", {"a": 20, "b": 22}), ("calculator", {"expression": "1+1"})
            ),
            ScriptedTurn.text("forty-two"),
        ]
    )


def http_model(model: str, **options: object) -> ScriptedAdapter:
    return ScriptedAdapter(
        [ScriptedTurn.tool_calls(("shout", {"text": "web"})), ScriptedTurn.text("done")]
    )


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmport import registry

    monkeypatch.setattr(registry, "_ENTRIES", dict(registry._ENTRIES))
    registry.register(registry.ProviderEntry("mcpcall", f"{__name__}:calling_model", "mcp"))
    registry.register(registry.ProviderEntry("mcphttp", f"{__name__}:http_model", "mcp"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def tool_results(stdout: str) -> list[dict[str, object]]:
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return [e for e in events if e.get("type") == "tool_call_finished"]


def test_run_with_an_mcp_stdio_server_and_a_builtin_tool(
    models: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["run", "-m", "mcpcall", "--no-log", "--json", "--tool", "calculator",
         "--mcp", f"t={SERVER}", "add"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    results = tool_results(out)
    assert sorted((r["call"]["name"], r["result"], r["is_error"]) for r in results) == [
        ("calculator", "2", False),
        ("t_add", "42", False),
    ]


def test_run_with_an_mcp_http_server_and_a_secret_header(
    models: None, capsys: pytest.CaptureFixture[str]
) -> None:
    server = HttpServer(TOKEN).start()
    try:
        code = main(
            ["run", "-m", "mcphttp", "--json", "--mcp-url", server.url,
             "--mcp-header", f"Authorization: Bearer {TOKEN}", "go"]
        )  # fmt: skip
    finally:
        server.stop()
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert [r["result"] for r in tool_results(captured.out)] == ["WEB"]
    assert TOKEN not in captured.out and TOKEN not in captured.err


def test_a_server_that_cannot_start_is_one_cli_error(
    models: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = shlex.join([sys.executable, "-c", "import sys; sys.exit(1)"])
    code = main(["run", "-m", "mcpcall", "--no-log", "--mcp", bad, "x"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("llmport: error: could not start the MCP server")


def test_clashing_tool_names_are_a_cli_error(
    models: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "-m", "mcpcall", "--no-log", "--mcp", SERVER, "--mcp", SERVER, "x"])
    assert code == 2
    assert "give one of them a prefix" in capsys.readouterr().err


def test_flag_parsing() -> None:
    (stdio,) = mcp_servers([f"fs={SERVER}"], [], [])
    assert stdio.prefix == "fs" and stdio.command[0] == sys.executable
    (web,) = mcp_servers([], ["web=http://127.0.0.1:9/mcp"], ["X-Api-Key: k-123456789"])
    assert web.prefix == "web" and web.url == "http://127.0.0.1:9/mcp"
    assert "k-123456789" not in repr(web)
    (plain,) = mcp_servers([], ["http://127.0.0.1:9/mcp"], [])
    assert plain.prefix is None
    with pytest.raises(CliError, match="Name: value"):
        mcp_servers([], ["http://127.0.0.1:9/mcp"], ["nocolon"])
    with pytest.raises(CliError, match="needs an --mcp-url"):
        mcp_servers([], [], ["A: b"])
    with pytest.raises(CliError, match="bad MCP server"):
        mcp_servers([], ["ftp://x"], [])
