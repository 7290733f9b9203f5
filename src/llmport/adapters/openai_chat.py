"""``OpenAIChatAdapter``: Chat Completions streaming (``POST {base_url}/chat/completions``) for
OpenAI and every OpenAI-compatible server.

A wire declaration and a preset table: the codec is in ``openai_compat`` (encode, decode, error
mapping), everything else in the shared ``HttpAdapter``.

API keys: ``api_key=``, else the environment variable (``OPENAI_API_KEY``, or the preset's).
A key is required for the hosted services (``api.openai.com`` and every named preset:
``groq:``, ``deepseek:`` ...), where its absence is an ``AuthenticationError`` at construction
naming the variable to set; a custom ``base_url`` (argument or ``OPENAI_BASE_URL``) may run
keyless, as llama.cpp, vLLM, LM Studio and Ollama's ``/v1`` do, and then no ``Authorization``
header is sent.

Options, under OpenAI's names: ``max_tokens`` is ``max_completion_tokens`` on api.openai.com
(the o-series reject ``max_tokens``) and ``max_tokens`` elsewhere (compatible servers know only
it); ``reasoning`` is ``reasoning_effort`` (a token budget has no Chat Completions field);
``response_format`` (a JSON Schema) is sent as ``{"type": "json_schema", ...}``, and an OpenAI
shaped ``{"type": "json_object"}`` passes as it is; ``tool_choice`` and ``parallel_tool_calls``
are sent only with tools. Only choice 0 is streamed when ``n > 1`` comes through ``extra_body``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlsplit

from llmport.adapters.openai_compat import (
    OpenAIChatDecoder,
    encode_messages,
    encode_tool_choice,
    encode_tools,
    openai_error_mapper,
)
from llmport.core.adapter import HttpAdapter
from llmport.core.wire import KeySpec, Wire, WireRequest
from llmport.domain.options import unsupported_option

__all__ = ["OPENAI_CHAT_WIRE", "PRESETS", "OpenAIChatAdapter", "Preset", "from_model_string"]

OPENAI_BASE_URL: Final = "https://api.openai.com/v1"
_OPENAI_FORMATS: Final = frozenset({"json_object", "json_schema", "text"})


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


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """The Chat wire's own keywords: ``stream_usage`` (None: the preset's default)."""

    stream_usage: bool | None = None


def response_format_object(schema: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI's ``response_format`` for a JSON Schema (an OpenAI-shaped object passes as is)."""
    if schema.get("type") in _OPENAI_FORMATS:
        return dict(schema)
    title = schema.get("title")
    name = title if isinstance(title, str) and title.isidentifier() else "response"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema)}}


def encode_chat(request: WireRequest) -> dict[str, Any]:
    """The JSON body of a streaming Chat Completions request (pure)."""
    options, settings = request.options, request.settings
    body: dict[str, Any] = {
        "model": request.model,
        "messages": encode_messages(request.messages),
        "stream": True,
    }
    stream_usage = settings.stream_usage
    if stream_usage is None:
        preset = PRESETS.get(request.provider)
        stream_usage = preset.stream_usage if preset is not None else True
    if stream_usage:
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = encode_tools(request.tools)
        if options.tool_choice is not None:
            choice = options.tool_choice
            if choice == "required" and request.provider == "mistral":
                choice = "any"  # Mistral's name for it
            body["tool_choice"] = encode_tool_choice(choice)
        if options.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = options.parallel_tool_calls
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.top_p is not None:
        body["top_p"] = options.top_p
    if options.stop is not None:
        body["stop"] = list(options.stop)
    if options.seed is not None:
        body["seed"] = options.seed
    if options.response_format is not None:
        body["response_format"] = response_format_object(options.response_format)
    reasoning = options.reasoning
    if reasoning is not None:
        if reasoning.budget_tokens is not None:
            raise unsupported_option(
                "reasoning.budget_tokens", "openai-chat", "use a reasoning effort level"
            )
        if reasoning.summary is not None:
            raise unsupported_option("reasoning.summary", "openai-chat", "use openai-responses")
        body["reasoning_effort"] = reasoning.effort
    if options.max_tokens is not None:
        on_openai = urlsplit(request.base_url).hostname == "api.openai.com"
        body["max_completion_tokens" if on_openai else "max_tokens"] = options.max_tokens
    if options.extra_body:
        body.update(options.extra_body)
    return body


def _chat_url(base_url: str, model: str) -> str:
    return f"{base_url}/chat/completions"


OPENAI_CHAT_WIRE: Final = Wire(
    name="openai-chat",
    provider="openai",
    default_base_url=OPENAI_BASE_URL,
    url=_chat_url,
    encode=encode_chat,
    decoder=lambda provider: OpenAIChatDecoder(provider=provider),
    error_mapper=openai_error_mapper,
    key=KeySpec("authorization", ("OPENAI_API_KEY",), "Bearer ", optional_off_default=True),
    base_url_env=("OPENAI_BASE_URL",),
    settings=ChatSettings,
)


def preset_wire(name: str) -> Wire:
    """The Chat wire for a preset: its provider name, base URL and key variable."""
    spec = PRESETS.get(name)
    if spec is None:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    if name == "openai":
        return OPENAI_CHAT_WIRE
    return replace(
        OPENAI_CHAT_WIRE,
        provider=spec.provider,
        default_base_url=spec.base_url,
        key=KeySpec("authorization", (spec.api_key_env,), "Bearer "),
        base_url_env=(),
    )


class OpenAIChatAdapter(HttpAdapter):
    """A streaming chat port over the Chat Completions API (``preset=`` a hosted service).

    ``reasoning_effort=`` is kept as an alias of ``reasoning=`` (the effort level).
    """

    def __init__(
        self,
        model: str,
        *,
        preset: str = "openai",
        reasoning_effort: str | None = None,
        **options: Any,
    ) -> None:
        if reasoning_effort is not None:
            options.setdefault("reasoning", reasoning_effort)
        super().__init__(preset_wire(preset), model, **options)

    def build_request(self, messages: Any, tools: Any = (), options: Any = None) -> dict[str, Any]:
        """The JSON body of a request (pure; what ``chat_stream`` sends)."""
        return self.request_body(messages, tools, options)


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
