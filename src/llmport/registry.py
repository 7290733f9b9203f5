"""The registry of providers: every ``connect()`` prefix, what it builds and what it needs.

One line per prefix. ``connect()`` resolves model strings through it, the CLI lists it
(``llmport models``: prefixes, key variables and whether they are set), and the test suite walks
it: every registered HTTP wire must have a conformance run and a golden suite, or the suite fails
(``tests/test_registry.py``). Adding a wire is one folder under ``adapters/`` plus one line here.

Factories are named by import path (``"module:function"``), so reading the registry, or
resolving ``"anthropic:..."``, never imports another adapter (nor llama.cpp). Stdlib only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

__all__ = [
    "ProviderEntry",
    "entries",
    "entry",
    "key_is_set",
    "register",
    "resolve_factory",
]


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One ``connect()`` prefix.

    ``wire`` names the wire folder under ``llmport.adapters`` (and its golden suite under
    ``tests/golden/``) for HTTP adapters; None for the in-process ones (local, scripted).
    ``key_env`` lists the environment variables read for the key, first set wins; empty when the
    provider needs none. ``base_url_env`` likewise for the base URL.
    """

    prefix: str
    factory: str
    description: str
    wire: str | None = None
    key_env: tuple[str, ...] = ()
    key_required: bool = True
    base_url_env: tuple[str, ...] = ()
    default_base_url: str | None = None


_OPENAI_PRESETS = "llmport.adapters.openai_chat"

_ENTRIES: dict[str, ProviderEntry] = {
    e.prefix: e
    for e in (
        ProviderEntry(
            "openai",
            f"{_OPENAI_PRESETS}:from_model_string",
            "OpenAI Chat Completions, or any OpenAI-compatible server with base_url=",
            wire="openai_chat",
            key_env=("OPENAI_API_KEY",),
            base_url_env=("OPENAI_BASE_URL",),
            default_base_url="https://api.openai.com/v1",
        ),
        ProviderEntry(
            "openai-responses",
            "llmport.adapters.openai_responses.wire:from_model_string",
            "OpenAI Responses API (reasoning kept between turns), or a server that speaks it",
            wire="openai_responses",
            key_env=("OPENAI_API_KEY",),
            base_url_env=("OPENAI_BASE_URL",),
            default_base_url="https://api.openai.com/v1",
        ),
        ProviderEntry(
            "anthropic",
            "llmport.adapters.anthropic.adapter:from_model_string",
            "Anthropic Messages",
            wire="anthropic",
            key_env=("ANTHROPIC_API_KEY",),
            base_url_env=("ANTHROPIC_BASE_URL",),
            default_base_url="https://api.anthropic.com",
        ),
        ProviderEntry(
            "gemini",
            "llmport.adapters.gemini.wire:from_model_string",
            "Google Gemini API (thought signatures kept part for part)",
            wire="gemini",
            key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            base_url_env=("GOOGLE_GEMINI_BASE_URL",),
            default_base_url="https://generativelanguage.googleapis.com",
        ),
        ProviderEntry(
            "ollama",
            "llmport.adapters.ollama.wire:from_model_string",
            "Ollama's native API (/api/chat, NDJSON); keyless unless behind a proxy",
            wire="ollama",
            key_env=("OLLAMA_API_KEY",),
            key_required=False,
            base_url_env=("OLLAMA_HOST",),
            default_base_url="http://127.0.0.1:11434",
        ),
        ProviderEntry(
            "groq",
            f"{_OPENAI_PRESETS}:groq",
            "Groq (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("GROQ_API_KEY",),
            default_base_url="https://api.groq.com/openai/v1",
        ),
        ProviderEntry(
            "deepseek",
            f"{_OPENAI_PRESETS}:deepseek",
            "DeepSeek (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("DEEPSEEK_API_KEY",),
            default_base_url="https://api.deepseek.com",
        ),
        ProviderEntry(
            "openrouter",
            f"{_OPENAI_PRESETS}:openrouter",
            "OpenRouter (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("OPENROUTER_API_KEY",),
            default_base_url="https://openrouter.ai/api/v1",
        ),
        ProviderEntry(
            "mistral",
            f"{_OPENAI_PRESETS}:mistral",
            "Mistral (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("MISTRAL_API_KEY",),
            default_base_url="https://api.mistral.ai/v1",
        ),
        ProviderEntry(
            "xai",
            f"{_OPENAI_PRESETS}:xai",
            "xAI (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("XAI_API_KEY",),
            default_base_url="https://api.x.ai/v1",
        ),
        ProviderEntry(
            "together",
            f"{_OPENAI_PRESETS}:together",
            "Together (OpenAI-compatible preset)",
            wire="openai_chat",
            key_env=("TOGETHER_API_KEY",),
            default_base_url="https://api.together.xyz/v1",
        ),
        ProviderEntry(
            "local",
            "llmport.adapters.local:from_model_string",
            "the embedded model, in process (local, or local:PATH.gguf)",
            key_env=(),
            key_required=False,
        ),
        ProviderEntry(
            "scripted",
            "llmport.adapters.scripted:from_model_string",
            "a scripted double for tests and examples",
            key_env=(),
            key_required=False,
        ),
    )
}


def entries() -> list[ProviderEntry]:
    """Every registered prefix, in registration order."""
    return list(_ENTRIES.values())


def entry(prefix: str) -> ProviderEntry | None:
    """The entry for ``prefix`` (case-insensitive), or None."""
    return _ENTRIES.get(prefix.strip().lower())


def register(entry: ProviderEntry) -> None:
    """Add (or replace) a prefix: third-party adapters register themselves this way."""
    _ENTRIES[entry.prefix.strip().lower()] = entry


def key_is_set(entry: ProviderEntry) -> bool:
    """Whether one of the entry's key variables is set (its value is never read out)."""
    return any(os.environ.get(name) for name in entry.key_env)


def resolve_factory(entry: ProviderEntry) -> Callable[..., Any]:
    """Import the entry's factory (only now: listing the registry imports no adapter)."""
    module_name, _, function_name = entry.factory.partition(":")
    factory: Callable[..., Any] = getattr(import_module(module_name), function_name)
    return factory
