"""``AnthropicAdapter``: the Messages API port, a thin shell around encode and decode.

Everything with a rule in it lives elsewhere: ``encode.py`` builds the body, ``decode.py`` reads
the stream, ``errors.py`` maps failures, the shared ``HttpShell`` sends, retries (an in-band
``overloaded_error`` before any output included), times out and frames, and the shared guard
enforces the stream contract. This module only wires them: the URL
(``{base_url}/v1/messages``), the headers (``x-api-key``, ``anthropic-version``, optional
``anthropic-beta``) and the settings.

The key comes from ``api_key=`` or ``ANTHROPIC_API_KEY`` when the adapter is built, is held as
a ``Secret`` and is sent only in the ``x-api-key`` header: it is never in a repr, a log line, an
error or a URL. ``base_url`` defaults to ``ANTHROPIC_BASE_URL`` or ``https://api.anthropic.com``
(the official SDK's convention: without ``/v1``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx

from llmport.adapters.anthropic.decode import AnthropicDecoder
from llmport.adapters.anthropic.encode import (
    DEFAULT_MAX_TOKENS,
    AnthropicSettings,
    ThinkingSetting,
    ToolChoice,
    encode_request,
)
from llmport.adapters.anthropic.errors import PROVIDER, map_http_error
from llmport.core.guard import GuardedStream, guard
from llmport.core.http import HttpShell, Limits, Timeouts
from llmport.core.http_settings import check_base_url
from llmport.core.retry import RetryPolicy
from llmport.core.secrets import Secret
from llmport.domain.errors import AuthenticationError
from llmport.domain.messages import AgentMessage
from llmport.domain.tools import ToolDefinition

__all__ = ["API_VERSION", "DEFAULT_BASE_URL", "AnthropicAdapter", "from_model_string"]

DEFAULT_BASE_URL: Final = "https://api.anthropic.com"
API_VERSION: Final = "2023-06-01"
KEY_VARIABLE: Final = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE: Final = "ANTHROPIC_BASE_URL"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class AnthropicAdapter:
    """An ``LlmCompletionPort`` for Anthropic's Messages API (``POST /v1/messages``, streamed).

    Timeouts and retries are the shell's (the same keywords as ``OpenAIChatAdapter``);
    ``retry=`` takes a whole ``RetryPolicy`` instead of ``max_retries``. ``settings=`` takes a
    whole ``AnthropicSettings``; the keyword arguments after it build one (``max_tokens``
    defaults to 4096; ``thinking=N`` enables extended thinking with a budget of N tokens,
    ``"adaptive"`` lets the model decide).
    """

    provider: Final = PROVIDER

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        connect_timeout: float = 5.0,
        first_event_timeout: float = 600.0,
        idle_timeout: float = 120.0,
        deadline: float | None = None,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        settings: AnthropicSettings | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        thinking: ThinkingSetting = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: Sequence[str] = (),
        tool_choice: ToolChoice = None,
        parallel_tool_calls: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra_tools: Sequence[Mapping[str, Any]] = (),
        extra_body: Mapping[str, Any] | None = None,
        anthropic_version: str = API_VERSION,
        anthropic_beta: str | Sequence[str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        if not model:
            raise ValueError("AnthropicAdapter needs a model name (e.g. 'claude-sonnet-4-5')")
        key = api_key if api_key is not None else os.environ.get(KEY_VARIABLE)
        if not key:
            raise AuthenticationError(
                f"no Anthropic API key: pass api_key= or set {KEY_VARIABLE}",
                provider=PROVIDER,
            )
        self.model = model
        self.settings = settings or AnthropicSettings(
            max_tokens=max_tokens,
            thinking=thinking,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            stop_sequences=tuple(stop_sequences),
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            metadata=metadata,
            extra_tools=tuple(extra_tools),
            extra_body=dict(extra_body or {}),
        )
        root = base_url or os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
        self.base_url = check_base_url(root)
        self.url = f"{self.base_url}/v1/messages"
        headers = {"anthropic-version": anthropic_version, "content-type": "application/json"}
        if anthropic_beta:
            beta = anthropic_beta if isinstance(anthropic_beta, str) else ",".join(anthropic_beta)
            headers["anthropic-beta"] = beta
        headers.update(extra_headers or {})
        self._shell = HttpShell(
            provider=PROVIDER,
            http_client=http_client,
            timeouts=Timeouts(connect_timeout, first_event_timeout, idle_timeout, deadline),
            retry=retry or RetryPolicy(max_retries=max_retries),
            limits=limits,
            error_mapper=map_http_error,
            headers=headers,
            secret_headers={"x-api-key": Secret(key)},
        )

    def __repr__(self) -> str:
        return f"AnthropicAdapter(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def retries_taken(self) -> int:
        """Retries made by the last ``chat_stream`` call before its stream started."""
        return self._shell.retries_taken

    def request_body(
        self, messages: Sequence[AgentMessage], tools: Sequence[ToolDefinition] = ()
    ) -> dict[str, Any]:
        """The JSON body ``chat_stream`` would send (for logging or inspection)."""
        return encode_request(self.model, messages, tools, self.settings)

    async def chat_stream(
        self, messages: Sequence[AgentMessage], tools: Sequence[ToolDefinition]
    ) -> GuardedStream:
        body = _dumps(encode_request(self.model, messages, tools, self.settings)).encode()
        source = await self._shell.stream(url=self.url, body=body, decoder_factory=AnthropicDecoder)
        return guard(source, provider=PROVIDER)

    async def aclose(self) -> None:
        """Close the HTTP client if the adapter created it (an injected one is the caller's)."""
        await self._shell.aclose()

    async def __aenter__(self) -> AnthropicAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def from_model_string(model: str, **options: Any) -> AnthropicAdapter:
    """``connect("anthropic:claude-sonnet-4-5", **options)``."""
    return AnthropicAdapter(model, **options)
