"""The body of Ollama's ``POST /api/chat`` (pure): messages, tools and options under Ollama's names.

- messages: ``role`` / ``content``; user images as base64 in the message's ``images`` (Ollama
  takes image bytes, not URLs: a ``data:`` URL is unpacked, a remote URL is refused); an
  assistant turn with its ``thinking`` (only Ollama's own reasoning) and ``tool_calls`` whose
  ``function.arguments`` is a JSON **object**; tool results as ``role: "tool"`` with
  ``tool_name`` (Ollama addresses results by name), taken from the result or from the call it
  answers; tools as function tools, the OpenAI-compatible shape Ollama takes (the shared codec);
- ``CallOptions``: ``max_tokens`` -> ``options.num_predict``; ``temperature``, ``top_p``,
  ``stop``, ``seed`` -> ``options``; ``response_format`` -> ``format`` (a JSON Schema);
  ``reasoning`` -> ``think`` (effort ``none`` -> ``false``, ``minimal``/``low`` -> ``"low"``,
  ``medium``, ``high``/``xhigh`` -> ``"high"``, as gpt-oss takes levels; a token budget has no
  field); ``tool_choice`` ``"none"`` leaves the tools out, ``"auto"`` is Ollama's only mode
  (``"required"`` or a named tool: ``ValueError``); ``parallel_tool_calls=False`` likewise;
- the wire's own keywords: ``keep_alive`` and ``model_options`` (any other runner option such
  as ``num_ctx``, merged under ``options``; the ``CallOptions`` values win).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from llmport.adapters.ollama.errors import PROVIDER
from llmport.adapters.openai_compat import encode_tools
from llmport.core.wire import WireRequest
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from llmport.domain.options import CallOptions, unsupported_option

__all__ = ["OllamaSettings", "encode_messages", "encode_ollama"]

WIRE: Final = "ollama"
_THINK_LEVEL: Final = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
}


@dataclass(frozen=True, slots=True)
class OllamaSettings:
    """Ollama's own keywords: ``keep_alive`` (``"5m"``, seconds, ``0`` to unload at once, ``-1``
    to keep) and ``model_options`` (runner options such as ``{"num_ctx": 8192}``)."""

    keep_alive: str | int | float | None = None
    model_options: Mapping[str, Any] = field(default_factory=dict)


def _image(part: ImagePart) -> str:
    if part.data is not None:
        return part.data
    url = part.url or ""
    head, sep, data = url.partition(",")
    if url.startswith("data:") and sep and head.endswith(";base64"):
        return data
    raise ValueError(
        "Ollama takes images as bytes (ImagePart(data=..., media_type=...) or a base64 data: "
        "URL), not as a remote URL"
    )


def _user(message: UserMessage) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    text = "".join(p.text for p in message.content if isinstance(p, TextPart))
    images = [_image(p) for p in message.content if isinstance(p, ImagePart)]
    out: dict[str, Any] = {"role": "user", "content": text}
    if images:
        out["images"] = images
    return out


def _assistant(message: AssistantMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": message.text}
    thinking = "".join(r.text for r in message.reasoning if r.provider == PROVIDER and r.text)
    if thinking:
        out["thinking"] = thinking
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": dict(c.arguments)}}
            for c in message.tool_calls
        ]
    return out


def encode_messages(messages: Sequence[AgentMessage]) -> list[dict[str, Any]]:
    """The ``messages`` array."""
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            out.append(_user(message))
        elif isinstance(message, AssistantMessage):
            names.update((c.id, c.name) for c in message.tool_calls)
            out.append(_assistant(message))
        elif isinstance(message, ToolMessage):
            item = {"role": "tool", "content": message.content}
            name = message.name or names.get(message.tool_call_id)
            if name:
                item["tool_name"] = name
            out.append(item)
        else:
            raise TypeError(f"not an AgentMessage: {type(message).__name__}")
    return out


def _think(options: CallOptions) -> bool | str | None:
    reasoning = options.reasoning
    if reasoning is None:
        return None
    if reasoning.budget_tokens is not None:
        raise unsupported_option("reasoning.budget_tokens", WIRE, "use an effort level")
    if reasoning.summary is not None:
        raise unsupported_option("reasoning.summary", WIRE)
    if reasoning.effort is None:
        return None
    return False if reasoning.effort == "none" else _THINK_LEVEL[reasoning.effort]


def _runner_options(options: CallOptions, settings: OllamaSettings) -> dict[str, Any]:
    runner = dict(settings.model_options)
    for name, value in (
        ("num_predict", options.max_tokens),
        ("temperature", options.temperature),
        ("top_p", options.top_p),
        ("stop", list(options.stop) if options.stop is not None else None),
        ("seed", options.seed),
    ):
        if value is not None:
            runner[name] = value
    return runner


def encode_ollama(request: WireRequest) -> dict[str, Any]:
    """The JSON body of a streaming ``POST /api/chat`` (pure)."""
    options: CallOptions = request.options
    settings: OllamaSettings = request.settings
    mode = options.tool_choice_mode
    if mode in ("required", "tool"):
        raise unsupported_option("tool_choice", WIRE, "Ollama has no forced tool choice")
    if options.parallel_tool_calls is False:
        raise unsupported_option("parallel_tool_calls", WIRE)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": encode_messages(request.messages),
        "stream": True,
    }
    if request.tools and mode != "none":
        body["tools"] = encode_tools(request.tools)
    runner = _runner_options(options, settings)
    if runner:
        body["options"] = runner
    think = _think(options)
    if think is not None:
        body["think"] = think
    if options.response_format is not None:
        body["format"] = dict(options.response_format)
    if settings.keep_alive is not None:
        body["keep_alive"] = settings.keep_alive
    if options.extra_body:
        body.update(options.extra_body)
    return body
