"""``HttpAdapter``: the one adapter class behind every HTTP wire.

It owns what every vendor shares, so no wire copies it:

- the key: ``api_key=``, else the wire's environment variable(s); held as a ``Secret`` and sent
  only in the wire's key header; missing where required is an ``AuthenticationError`` at
  construction that names the variable to set;
- the base URL: ``base_url=``, else the wire's variable, else its default; checked
  (``check_base_url``: http(s), no credentials, no query) before any key goes near it;
- options: the ``CallOptions`` fields as constructor keywords are the defaults, ``options=`` on
  ``chat_stream`` wins per call; the defaults are encoded once at construction so an option the
  wire cannot express fails there, and a per-call one fails before any request;
- the HTTP shell (timeouts, retries, limits, error mapping), the guard, the lifecycle
  (``aclose``, ``async with``) and the per-stream retry count (``stream.retries_taken``).

What differs between vendors is the :class:`~llmport.core.wire.Wire` it is given.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

from llmport.core.guard import GuardedStream, guard
from llmport.core.http import HttpShell, Limits, Timeouts
from llmport.core.http_settings import check_base_url
from llmport.core.retry import RetryPolicy
from llmport.core.secrets import Secret
from llmport.core.wire import Wire, WireRequest
from llmport.domain.errors import AuthenticationError
from llmport.domain.messages import AgentMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

__all__ = ["HttpAdapter", "dump_body"]

_log = logging.getLogger("llmport.http")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_LONE_SURROGATE: Final = re.compile("[\\ud800-\\udfff]")


def dump_body(body: Mapping[str, Any]) -> bytes:
    """The request body as UTF-8 JSON; a lone surrogate (not encodable) is sent as U+FFFD."""
    text = _dumps(body)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode()


class HttpAdapter:
    """An ``LlmCompletionPort`` over HTTP for one :class:`Wire`.

    Every HTTP adapter takes the same keywords: ``model``, ``api_key``, ``base_url``,
    ``http_client`` (an ``httpx2.AsyncClient``, ``httpx.AsyncClient`` or
    ``aiohttp.ClientSession``; injected clients are the caller's to close), ``transport``
    (``"httpx2"``, the default, ``"httpx"`` or ``"aiohttp"``: the client built when none is
    injected; ``docs/transports.md``), the timeouts
    (``connect_timeout=5``, ``first_event_timeout=600``, ``idle_timeout=120``,
    ``deadline=None``), ``max_retries=2`` (or a whole ``retry=RetryPolicy``), ``limits``,
    ``extra_headers``, the ``CallOptions`` fields as defaults (or ``options=`` whole), and the
    wire's own keywords (``anthropic_beta=``, ``keep_alive=`` ...).
    """

    def __init__(
        self,
        wire: Wire,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        transport: Any = None,
        connect_timeout: float = 5.0,
        first_event_timeout: float = 600.0,
        idle_timeout: float = 120.0,
        deadline: float | None = None,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        extra_headers: Mapping[str, str] | None = None,
        options: CallOptions | Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        tool_choice: str | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning: Any = None,
        response_format: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **wire_settings: Any,
    ) -> None:
        if not model:
            raise ValueError(f"the {wire.name} adapter needs a model name (model=)")
        self.wire = wire
        self.model = model
        self.provider = wire.provider
        self.settings = wire.settings(**wire_settings)
        self.base_url = self._base_url(base_url)
        self.options = CallOptions(
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,  # type: ignore[arg-type]  # CallOptions normalises a str to a tuple
            seed=seed,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            reasoning=reasoning,
            response_format=response_format,
            extra_body=extra_body,
        ).merged(CallOptions.coerce(options))
        """The default options of every call (a per-call ``options=`` value wins)."""
        self.request_body((), ())  # an option the wire cannot express fails here, not mid-run
        secret_headers = self._secret_headers(api_key)
        headers = {
            "content-type": "application/json",
            **wire.headers(self.settings),
            **(extra_headers or {}),
        }
        self._shell = HttpShell(
            provider=self.provider,
            http_client=http_client,
            transport=transport,
            timeouts=Timeouts(connect_timeout, first_event_timeout, idle_timeout, deadline),
            retry=retry or RetryPolicy(max_retries=max_retries),
            limits=limits,
            error_mapper=wire.error_mapper,
            headers=headers,
            secret_headers=secret_headers,
        )
        self.url = wire.url(self.base_url, model)

    # --- construction ------------------------------------------------------------------------

    def _base_url(self, given: str | None) -> str:
        wire = self.wire
        if given is None:
            given = next((v for n in wire.base_url_env if (v := os.environ.get(n))), None)
        return check_base_url(wire.normalize_base_url(given or wire.default_base_url))

    def _secret_headers(self, api_key: str | None) -> dict[str, Secret]:
        spec = self.wire.key
        if spec is None:
            return {}
        key = api_key
        if key is None:
            key = next((v for n in spec.env if (v := os.environ.get(n))), None)
        if key:
            self._warn_plain_http()
            return {spec.header: Secret(f"{spec.scheme}{key}")}
        default_host = urlsplit(self.wire.default_base_url).hostname
        custom = urlsplit(self.base_url).hostname != default_host
        if spec.required and not (spec.optional_off_default and custom):
            variables = " or ".join(spec.env) or "an API key variable"
            raise AuthenticationError(
                f"no API key for {self.provider}: set the {variables} environment variable "
                "or pass api_key=",
                provider=self.provider,
            )
        return {}

    def _warn_plain_http(self) -> None:
        """A key sent in clear text to another machine: said once per adapter, not refused
        (gateways inside a company network exist)."""
        parts = urlsplit(self.base_url)
        if parts.scheme != "http" or _is_loopback(parts.hostname or ""):
            return
        _log.warning(
            "the %s API key will be sent over plain http to %s; use https unless this network "
            "is trusted",
            self.provider,
            parts.hostname,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model!r}, provider={self.provider!r}, "
            f"base_url={self.base_url!r})"
        )

    # --- the port ----------------------------------------------------------------------------

    @property
    def shell(self) -> HttpShell:
        return self._shell

    @property
    def retries_taken(self) -> int:
        """Retries the most recent ``chat_stream`` call needed before its stream started.

        With concurrent streams, read ``stream.retries_taken`` on each stream instead.
        """
        return self._shell.retries_taken

    def request_body(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition] = (),
        options: CallOptions | Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The JSON body ``chat_stream`` would send (pure: for logging, tests, inspection)."""
        return self.wire.encode(
            WireRequest(
                model=self.model,
                messages=messages,
                tools=tools,
                options=self.options.merged(CallOptions.coerce(options)),
                settings=self.settings,
                provider=self.provider,
                base_url=self.base_url,
            )
        )

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | Mapping[str, Any] | None = None,
    ) -> GuardedStream:
        body = dump_body(self.request_body(messages, tools, options))
        wire, provider = self.wire, self.provider
        source = await self._shell.stream(
            url=self.url,
            body=body,
            decoder_factory=lambda: wire.decoder(provider),
            framing=wire.framing,
            framing_for=wire.framing_for,
            accept=wire.accept,
        )
        return guard(source, provider=provider)

    async def aclose(self) -> None:
        """Close the HTTP client if the adapter created it (an injected one is the caller's)."""
        await self._shell.aclose()

    async def __aenter__(self) -> HttpAdapter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
