"""``McpServer``: what a server description accepts, and that it never shows a credential."""

from __future__ import annotations

import sys

import pytest

from llmport.core.secrets import Secret
from llmport.mcp import McpServer


def test_stdio_commands_split_like_a_shell_without_one() -> None:
    server = McpServer.stdio("python 'my server.py' --flag")
    assert server.command == ("python", "my server.py", "--flag")
    assert server.name == "my server.py"  # its first argument, unless a name or prefix is given
    assert McpServer.stdio("npx -y @acme/server-files /tmp").name == "server-files"
    assert McpServer.stdio([sys.executable, "srv.py"], prefix="fs").name == "fs"
    with pytest.raises(ValueError, match="must not be empty"):
        McpServer.stdio("   ")


def test_http_credentials_are_secrets_and_other_headers_are_not() -> None:
    server = McpServer.http(
        "https://tools.test/mcp",
        headers={"X-Tenant": "acme", "X-Custom-Token": "tok-12345678", "Opaque": "v-12345678"},
        bearer_token="bearer-12345678",
        secret_headers=["opaque"],
    )
    assert server.headers["X-Tenant"] == "acme"
    for name in ("X-Custom-Token", "Opaque", "Authorization"):
        assert isinstance(server.headers[name], Secret)
    assert server.revealed_headers()["Authorization"] == "Bearer bearer-12345678"
    shown = repr(server)
    for value in ("tok-12345678", "v-12345678", "bearer-12345678"):
        assert value not in shown
    assert "acme" in shown and server.name == "tools.test"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://tools.test/mcp", "must start with http"),
        ("https://user:pw-123456@tools.test/mcp", "must not carry credentials"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        McpServer.http(url)
    assert "pw-123456" not in str(caught.value)


def test_prefixes_and_the_cli_spelling() -> None:
    with pytest.raises(ValueError, match="MCP tool prefix"):
        McpServer.stdio("x", prefix="1bad")
    assert McpServer.parse_cli("fs=python srv.py").prefix == "fs"
    assert McpServer.parse_cli("python srv.py --opt=1").prefix is None
    with pytest.raises(ValueError, match="either a command"):
        McpServer(name="x")
