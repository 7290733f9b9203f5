"""``AnthropicAdapter``: the Messages API wire (``POST {base_url}/v1/messages``, streamed).

Everything with a rule in it lives beside this file: ``encode.py`` builds the body, ``decode.py``
reads the stream, ``errors.py`` maps failures; the shared ``HttpAdapter`` owns the key, the base
URL, the shell (retries, an in-band ``overloaded_error`` before any output included), the guard
and the lifecycle. This module declares the wire: the URL, the headers (``x-api-key``,
``anthropic-version``, optional ``anthropic-beta``) and how ``CallOptions`` map to Anthropic's
names:

- ``max_tokens`` (required by Anthropic: 4096 unless set; raised above a thinking budget);
- ``stop`` -> ``stop_sequences``; ``tool_choice`` ``"required"`` -> ``{"type": "any"}``;
  ``parallel_tool_calls=False`` -> ``disable_parallel_tool_use``;
- ``reasoning``: a token budget -> ``thinking: {"type": "enabled", "budget_tokens": N}``; an
  effort level -> a budget (minimal/low 1024, medium 2048, high 4096, xhigh 8192, as LiteLLM
  maps it), ``"none"`` -> thinking disabled; the constructor's ``thinking=`` (a budget,
  ``"adaptive"`` or a raw object) is the default when no reasoning option is set;
- ``response_format`` (a JSON Schema) -> ``output_config.format``;
- ``seed`` and a reasoning ``summary`` have no Anthropic field: ``ValueError``.

The key comes from ``api_key=`` or ``ANTHROPIC_API_KEY``, is held as a ``Secret`` and sent only
in the ``x-api-key`` header. ``base_url`` defaults to ``ANTHROPIC_BASE_URL`` or
``https://api.anthropic.com`` (the official SDK's convention: without ``/v1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from llmport.adapters.anthropic.decode import AnthropicDecoder
from llmport.adapters.anthropic.encode import (
    DEFAULT_MAX_TOKENS,
    AnthropicSettings,
    ThinkingSetting,
    encode_request,
)
from llmport.adapters.anthropic.errors import PROVIDER, map_http_error
from llmport.core.adapter import HttpAdapter
from llmport.core.wire import KeySpec, Wire, WireRequest
from llmport.domain.options import CallOptions, unsupported_option

__all__ = [
    "ANTHROPIC_WIRE",
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "AnthropicAdapter",
    "AnthropicWireSettings",
    "from_model_string",
]

DEFAULT_BASE_URL: Final = "https://api.anthropic.com"
API_VERSION: Final = "2023-06-01"
KEY_VARIABLE: Final = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE: Final = "ANTHROPIC_BASE_URL"

_EFFORT_BUDGET: Final = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}


@dataclass(frozen=True, slots=True)
class AnthropicWireSettings:
    """The Anthropic wire's own constructor keywords (the rest are ``CallOptions``)."""

    thinking: ThinkingSetting = None
    top_k: int | None = None
    metadata: Mapping[str, Any] | None = None
    extra_tools: Sequence[Mapping[str, Any]] = ()
    anthropic_version: str = API_VERSION
    anthropic_beta: str | Sequence[str] | None = None


def _thinking(options: CallOptions, default: ThinkingSetting) -> ThinkingSetting:
    reasoning = options.reasoning
    if reasoning is None:
        return default
    if reasoning.summary is not None:
        raise unsupported_option("reasoning.summary", "anthropic")
    if reasoning.budget_tokens is not None:
        return reasoning.budget_tokens
    if reasoning.effort == "none":
        return {"type": "disabled"}
    assert reasoning.effort is not None
    return _EFFORT_BUDGET[reasoning.effort]


def anthropic_settings(options: CallOptions, wire: AnthropicWireSettings) -> AnthropicSettings:
    """``CallOptions`` plus the wire's keywords as the encoder's ``AnthropicSettings``."""
    if options.seed is not None:
        raise unsupported_option("seed", "anthropic")
    thinking = _thinking(options, wire.thinking)
    max_tokens = options.max_tokens
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
        if isinstance(thinking, int) and thinking >= max_tokens:
            max_tokens = thinking + DEFAULT_MAX_TOKENS  # room to answer after thinking
    choice = options.tool_choice
    extra_body = dict(options.extra_body or {})
    if options.response_format is not None:
        output_config = dict(extra_body.pop("output_config", None) or {})
        output_config["format"] = {"type": "json_schema", "schema": dict(options.response_format)}
        extra_body = {"output_config": output_config, **extra_body}
    return AnthropicSettings(
        max_tokens=max_tokens,
        thinking=thinking,
        temperature=options.temperature,
        top_p=options.top_p,
        top_k=wire.top_k,
        stop_sequences=options.stop or (),
        tool_choice="any" if choice == "required" else choice,
        parallel_tool_calls=options.parallel_tool_calls,
        metadata=wire.metadata,
        extra_tools=tuple(wire.extra_tools),
        extra_body=extra_body,
    )


def encode_anthropic(request: WireRequest) -> dict[str, Any]:
    """The JSON body of a streaming ``POST /v1/messages`` (pure)."""
    settings = anthropic_settings(request.options, request.settings)
    return encode_request(request.model, request.messages, request.tools, settings)


def _headers(settings: AnthropicWireSettings) -> dict[str, str]:
    headers = {"anthropic-version": settings.anthropic_version}
    beta = settings.anthropic_beta
    if beta:
        headers["anthropic-beta"] = beta if isinstance(beta, str) else ",".join(beta)
    return headers


def _messages_url(base_url: str, model: str) -> str:
    return f"{base_url}/v1/messages"


ANTHROPIC_WIRE: Final = Wire(
    name="anthropic",
    provider=PROVIDER,
    default_base_url=DEFAULT_BASE_URL,
    url=_messages_url,
    encode=encode_anthropic,
    decoder=lambda provider: AnthropicDecoder(),
    error_mapper=map_http_error,
    key=KeySpec("x-api-key", (KEY_VARIABLE,)),
    base_url_env=(BASE_URL_VARIABLE,),
    headers=_headers,
    settings=AnthropicWireSettings,
)


class AnthropicAdapter(HttpAdapter):
    """An ``LlmCompletionPort`` for Anthropic's Messages API (``POST /v1/messages``, streamed).

    Takes every ``HttpAdapter`` keyword plus ``thinking=``, ``top_k=``, ``metadata=``,
    ``extra_tools=`` (server tools as raw objects), ``anthropic_version=`` and
    ``anthropic_beta=``. ``stop_sequences=`` is kept as an alias of ``stop=``.
    """

    def __init__(
        self, model: str, *, stop_sequences: Sequence[str] | None = None, **options: Any
    ) -> None:
        if stop_sequences is not None:
            if isinstance(stop_sequences, str):
                raise ValueError("stop_sequences must be a sequence of strings, not one string")
            options.setdefault("stop", tuple(stop_sequences) or None)
        super().__init__(ANTHROPIC_WIRE, model, **options)


def from_model_string(model: str, **options: Any) -> AnthropicAdapter:
    """``connect("anthropic:claude-sonnet-4-5", **options)``."""
    return AnthropicAdapter(model, **options)
