"""``McpServer``: where an MCP server is and how to reach it (stdio command or streamable HTTP).

A description only, stdlib-safe and cheap: nothing starts until ``McpTools`` enters. HTTP
headers that carry credentials (``Authorization``, ``X-API-Key`` ..., or any header named with
``secret_headers=``) are held as ``Secret`` from the start, so they show as ``***`` in a repr,
an error or a log line, and are scrubbed from tool results; their value is revealed only when
the HTTP client is built.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from llmport.core.secrets import SENSITIVE_HEADERS, Secret

__all__ = ["McpServer"]

_PREFIX: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_CREDENTIAL_WORDS: Final = ("auth", "token", "key", "secret", "password", "cookie")


def _is_credential(name: str, extra: frozenset[str]) -> bool:
    lower = name.lower()
    return (
        lower in SENSITIVE_HEADERS
        or lower in extra
        or any(word in lower for word in _CREDENTIAL_WORDS)
    )


@dataclass(frozen=True)
class McpServer:
    """One MCP server: ``McpServer.stdio(command)`` or ``McpServer.http(url)``.

    ``prefix`` is put before each of its tool names (``prefix_name``) so that several servers
    can offer tools of the same name. ``name`` is how errors name the server.
    """

    name: str
    command: tuple[str, ...] = ()
    url: str | None = None
    headers: Mapping[str, str | Secret] = field(default_factory=dict)
    prefix: str | None = None
    env: Mapping[str, str] | None = None
    cwd: str | None = None

    def __post_init__(self) -> None:
        if bool(self.command) == (self.url is not None):
            raise ValueError("an MCP server needs either a command (stdio) or a url (HTTP)")
        if self.prefix is not None and not _PREFIX.match(self.prefix):
            raise ValueError(
                f"MCP tool prefix {self.prefix!r}: letters, digits, '_' or '-', "
                "starting with a letter, at most 32 characters"
            )
        if self.url is not None:
            if not re.match(r"^https?://", self.url):
                raise ValueError("an MCP server URL must start with http:// or https://")
            if "@" in self.url.split("/", 3)[2]:
                raise ValueError(
                    "an MCP server URL must not carry credentials; pass them as headers "
                    "(headers= or bearer_token=)"
                )

    @classmethod
    def stdio(
        cls,
        command: str | Sequence[str],
        *,
        prefix: str | None = None,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> McpServer:
        """A server llmport starts as a subprocess and talks to over its stdin/stdout.

        ``command`` is an argument list or a command line split like a POSIX shell would
        (no shell runs it: no expansion, no pipes).
        """
        argv = tuple(shlex.split(command)) if isinstance(command, str) else tuple(command)
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise ValueError("an MCP server command must not be empty")
        program = next((a for a in argv[1:] if not a.startswith("-")), argv[0])
        return cls(
            name=name or prefix or Path(program).name or argv[0],
            command=argv,
            prefix=prefix,
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd is not None else None,
        )

    @classmethod
    def http(
        cls,
        url: str,
        *,
        headers: Mapping[str, str | Secret] | None = None,
        bearer_token: str | Secret | None = None,
        secret_headers: Sequence[str] = (),
        prefix: str | None = None,
        name: str | None = None,
    ) -> McpServer:
        """A server reached over streamable HTTP; ``bearer_token`` sets ``Authorization``."""
        extra = frozenset(h.lower() for h in secret_headers)
        held: dict[str, str | Secret] = {}
        for key, value in (headers or {}).items():
            if isinstance(value, str) and _is_credential(key, extra):
                held[key] = Secret(value)
            else:
                held[key] = value
        if bearer_token is not None:
            token = bearer_token.reveal() if isinstance(bearer_token, Secret) else bearer_token
            held["Authorization"] = Secret(f"Bearer {token}")
        host = re.sub(r"^https?://", "", url).split("/", 1)[0]
        return cls(name=name or prefix or host, url=url, headers=held, prefix=prefix)

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    def secrets(self) -> tuple[Secret, ...]:
        return tuple(v for v in self.headers.values() if isinstance(v, Secret))

    def revealed_headers(self) -> dict[str, str]:
        """The headers to send (only for building the HTTP client)."""
        return {k: v.reveal() if isinstance(v, Secret) else v for k, v in self.headers.items()}

    def __repr__(self) -> str:
        where = shlex.join(self.command) if self.command else self.url
        shown = {k: "***" if isinstance(v, Secret) else v for k, v in self.headers.items()}
        extra = f", headers={shown!r}" if shown else ""
        prefix = f", prefix={self.prefix!r}" if self.prefix else ""
        return f"McpServer({self.transport}: {where!r}{prefix}{extra})"

    @classmethod
    def parse_cli(cls, spec: str) -> McpServer:
        """``--mcp "[PREFIX=]command args"``: a stdio server, optionally with a tool prefix."""
        match = re.match(r"^([A-Za-z][A-Za-z0-9_-]{0,31})=(?=\S)", spec.strip())
        if match:
            return cls.stdio(spec.strip()[match.end() :], prefix=match.group(1))
        return cls.stdio(spec)
