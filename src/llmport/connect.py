"""``connect("provider:model", **options)``: a model string to a port.

The prefixes live in ``llmport.registry`` (one line per provider); each names its factory by
import path, so resolving ``"anthropic:..."`` never imports the OpenAI adapter (nor llama.cpp).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmport import registry
from llmport.ports import LlmCompletionPort

__all__ = ["UnknownProviderError", "add_port_hook", "connect", "known_prefixes", "register"]

PortHook = Callable[[LlmCompletionPort], LlmCompletionPort]
_PORT_HOOKS: list[PortHook] = []


class UnknownProviderError(ValueError):
    """The model string names no known provider."""


def known_prefixes() -> list[str]:
    """The provider prefixes ``connect`` understands."""
    return sorted(e.prefix for e in registry.entries())


def register(prefix: str, factory: str, description: str = "") -> None:
    """Register ``"module:function"`` as the factory for ``prefix`` (for third-party adapters)."""
    registry.register(registry.ProviderEntry(prefix, factory, description or prefix))


def connect(model: str, **options: Any) -> LlmCompletionPort:
    """Resolve ``"provider:model"`` (or a bare ``"provider"``) to a ready port.

    >>> port = connect("scripted")
    """
    prefix, _, name = model.partition(":")
    found = registry.entry(prefix)
    if found is None:
        raise UnknownProviderError(
            f"unknown model prefix {prefix!r} in {model!r}; "
            f"known prefixes: {', '.join(known_prefixes())}"
        )
    port: LlmCompletionPort = registry.resolve_factory(found)(name, **options)
    for hook in tuple(_PORT_HOOKS):
        port = hook(port)
    return port


def add_port_hook(hook: PortHook) -> Callable[[], None]:
    """Pass every port ``connect`` builds from now on through ``hook`` (which returns the port
    to hand out, e.g. an instrumented wrapper: ``llmport.otel.instrument_connect`` uses this).
    Returns the function that removes the hook again."""
    _PORT_HOOKS.append(hook)

    def remove() -> None:
        if hook in _PORT_HOOKS:
            _PORT_HOOKS.remove(hook)

    return remove
