"""``connect("provider:model", **options)``: a model string to a port.

Each prefix names a factory by import path, so resolving ``"anthropic:..."`` never imports the
OpenAI adapter (nor llama.cpp). Adapters register here as they are added.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from llmport.ports import LlmCompletionPort

__all__ = ["UnknownProviderError", "connect", "known_prefixes"]

# prefix -> "module:function" building the port from (model, **options).
_FACTORIES: dict[str, str] = {
    "scripted": "llmport.adapters.scripted:from_model_string",
    "anthropic": "llmport.adapters.anthropic.adapter:from_model_string",
    "openai": "llmport.adapters.openai_chat:from_model_string",
    "groq": "llmport.adapters.openai_chat:groq",
    "deepseek": "llmport.adapters.openai_chat:deepseek",
    "openrouter": "llmport.adapters.openai_chat:openrouter",
    "mistral": "llmport.adapters.openai_chat:mistral",
    "xai": "llmport.adapters.openai_chat:xai",
    "together": "llmport.adapters.openai_chat:together",
    "local": "llmport.adapters.local:from_model_string",
}


class UnknownProviderError(ValueError):
    """The model string names no known provider."""


def known_prefixes() -> list[str]:
    """The provider prefixes ``connect`` understands."""
    return sorted(_FACTORIES)


def register(prefix: str, factory: str) -> None:
    """Register ``"module:function"`` as the factory for ``prefix`` (for third-party adapters)."""
    _FACTORIES[prefix] = factory


def connect(model: str, **options: Any) -> LlmCompletionPort:
    """Resolve ``"provider:model"`` (or a bare ``"provider"``) to a ready port.

    >>> port = connect("scripted")
    """
    prefix, _, name = model.partition(":")
    target = _FACTORIES.get(prefix.strip().lower())
    if target is None:
        raise UnknownProviderError(
            f"unknown model prefix {prefix!r} in {model!r}; "
            f"known prefixes: {', '.join(known_prefixes())}"
        )
    module_name, _, function_name = target.partition(":")
    factory: Callable[..., LlmCompletionPort] = getattr(import_module(module_name), function_name)
    return factory(name, **options)
