"""``OpenAIChatAdapter``: Chat Completions streaming (``POST {base_url}/chat/completions``) for
OpenAI and every OpenAI-compatible server.

The adapter is thin: the wire is in ``openai_compat`` (encode, decode, error mapping) and the
HTTP work in the shared shell (``llmport.core.http``); ``guard()`` enforces the contract.

API keys: ``api_key=``, else the environment variable (``OPENAI_API_KEY``, or the preset's).
The rule for a missing key is simple and predictable: a key is required for the hosted
services (``api.openai.com`` and every named preset: ``groq:``, ``deepseek:`` ...), where its
absence is an ``AuthenticationError`` at construction naming the variable to set; a custom
``base_url`` (argument or ``OPENAI_BASE_URL``) may run keyless, as llama.cpp, vLLM, LM Studio and
Ollama's ``/v1`` do, and then no ``Authorization`` header is sent.

Only choice 0 is streamed when ``n > 1`` is passed through ``extra_body``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from llmport.adapters.openai_compat import (
    OpenAIChatDecoder,
    encode_messages,
    encode_tool_choice,
    encode_tools,
    openai_error_mapper,
)
from llmport.core.guard import GuardedStream, guard
from llmport.core.http import HttpShell, Limits, Timeouts
from llmport.core.http_settings import check_base_url
from llmport.core.retry import RetryPolicy
from llmport.core.secrets import Secret
from llmport.domain.errors import AuthenticationError
from llmport.domain.messages import AgentMessage
from llmport.domain.tools import ToolDefinition

__all__ = ["PRESETS", "OpenAIChatAdapter", "Preset", "from_model_string"]

OPENAI_BASE_URL: Final = "https://api.openai.com/v1"


@dataclass(frozen=True, slots=True)
class Preset:
    """A hosted OpenAI-compatible service: where it is and which variable holds its key."""

    provider: str
    base_url: str
    api_key_env: str
    stream_usage: bool = True  # sends stream_options.include_usage


PRESETS: Final[dict[str, Preset]] = {
    "openai": Preset("openai", OPENAI_BASE_URL, "OPENAI_API_KEY"),
    "groq": Preset("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "deepseek": Preset("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "openrouter": Preset("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    # Mistral streams usage on its last chunk by itself and documents no stream_options.
    "mistral": Preset("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", False),
    "xai": Preset("xai", "https://api.x.ai/v1", "XAI_API_KEY"),
    "together": Preset("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
}


class OpenAIChatAdapter:
    """A streaming chat port over the Chat Completions API."""

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
        tool_choice: str | Mapping[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        response_format: Mapping[str, Any] | None = None,
        reasoning_effort: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        stream_usage: bool | None = None,
        limits: Limits | None = None,
        preset: str = "openai",
    ) -> None:
        if not model:
            raise ValueError("OpenAIChatAdapter needs model=")
        spec = PRESETS.get(preset)
        if spec is None:
            raise ValueError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        self.model = model
        self.provider = spec.provider
        if base_url is None and preset == "openai":
            base_url = os.environ.get("OPENAI_BASE_URL") or None
        self.base_url = check_base_url(base_url or spec.base_url)
        key = api_key if api_key is not None else os.environ.get(spec.api_key_env)
        custom_server = preset == "openai" and urlsplit(self.base_url).hostname != "api.openai.com"
        if not key and not custom_server:
            raise AuthenticationError(
                f"no API key for {spec.provider}: set the {spec.api_key_env} environment "
                "variable or pass api_key=",
                provider=spec.provider,
            )
        self._key_env = spec.api_key_env
        secret_headers = {"authorization": Secret(f"Bearer {key}")} if key else {}
        headers = {"content-type": "application/json", **(extra_headers or {})}
        self._shell = HttpShell(
            provider=spec.provider,
            http_client=http_client,
            timeouts=Timeouts(connect_timeout, first_event_timeout, idle_timeout, deadline),
            retry=RetryPolicy(max_retries=max_retries),
            limits=limits,
            error_mapper=openai_error_mapper,
            headers=headers,
            secret_headers=secret_headers,
        )
        self._url = f"{self.base_url}/chat/completions"
        self.tool_choice = tool_choice
        self.parallel_tool_calls = parallel_tool_calls
        self.settings: dict[str, Any] = {}
        for name, value in (
            ("temperature", temperature),
            ("top_p", top_p),
            ("stop", stop if stop is None or isinstance(stop, str) else list(stop)),
            ("seed", seed),
            ("response_format", dict(response_format) if response_format else None),
            ("reasoning_effort", reasoning_effort),
        ):
            if value is not None:
                self.settings[name] = value
        if max_tokens is not None:
            # OpenAI deprecated max_tokens (o-series reject it); compatible servers know only it.
            field = "max_completion_tokens" if self._is_openai else "max_tokens"
            self.settings[field] = max_tokens
        self.extra_body = dict(extra_body or {})
        self.stream_usage = spec.stream_usage if stream_usage is None else stream_usage

    @property
    def _is_openai(self) -> bool:
        return urlsplit(self.base_url).hostname == "api.openai.com"

    def __repr__(self) -> str:
        return (
            f"OpenAIChatAdapter(model={self.model!r}, provider={self.provider!r}, "
            f"base_url={self.base_url!r})"
        )

    @property
    def retries_taken(self) -> int:
        """Retries the last ``chat_stream`` call needed (HTTP and in-band ones)."""
        return self._shell.retries_taken

    @property
    def shell(self) -> HttpShell:
        return self._shell

    def build_request(
        self, messages: Sequence[AgentMessage], tools: Sequence[ToolDefinition]
    ) -> dict[str, Any]:
        """The JSON body of a request (pure; what ``chat_stream`` sends)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": encode_messages(messages),
            "stream": True,
        }
        if self.stream_usage:
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = encode_tools(tools)
            if self.tool_choice is not None:
                choice = self.tool_choice
                if choice == "required" and self.provider == "mistral":
                    choice = "any"  # Mistral's name for it
                body["tool_choice"] = encode_tool_choice(choice)
            if self.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = self.parallel_tool_calls
        body.update(self.settings)
        body.update(self.extra_body)
        return body

    async def chat_stream(
        self, messages: Sequence[AgentMessage], tools: Sequence[ToolDefinition]
    ) -> GuardedStream:
        body = json.dumps(
            self.build_request(messages, tools), ensure_ascii=False, separators=(",", ":")
        ).encode()
        provider = self.provider
        source = await self._shell.stream(
            url=self._url,
            body=body,
            decoder_factory=lambda: OpenAIChatDecoder(provider=provider),
        )
        return guard(source, provider=provider)

    async def aclose(self) -> None:
        """Close the HTTP client if the adapter created it."""
        await self._shell.aclose()

    async def __aenter__(self) -> OpenAIChatAdapter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def from_model_string(model: str, **options: Any) -> OpenAIChatAdapter:
    """``connect("openai:gpt-4o-mini", base_url=..., ...)``."""
    return OpenAIChatAdapter(model, **options)


def _preset_factory(name: str) -> Any:
    def factory(model: str, **options: Any) -> OpenAIChatAdapter:
        return OpenAIChatAdapter(model, preset=name, **options)

    factory.__name__ = name
    factory.__doc__ = f"``connect('{name}:MODEL')``: {PRESETS[name].base_url}"
    return factory


groq = _preset_factory("groq")
deepseek = _preset_factory("deepseek")
openrouter = _preset_factory("openrouter")
mistral = _preset_factory("mistral")
xai = _preset_factory("xai")
together = _preset_factory("together")
