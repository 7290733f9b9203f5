"""The wire declaration: everything that differs between two HTTP vendors, and nothing else.

A wire is data plus pure functions: where requests go, which header carries the key, how a
conversation becomes a body (``encode``, pure), how a body becomes events (a sans-IO decoder
factory), how an error response becomes a typed error, and how the body is framed. The one
:class:`~llmport.core.adapter.HttpAdapter` owns the rest (key lookup, base-URL checks, the
HTTP shell, the guard, the lifecycle), so adding a vendor is a folder of encode / decode /
errors and one ``Wire(...)``, never a copy of an adapter class.

Composition, not inheritance: a ``Wire`` is a frozen value. A variant of a wire (an
OpenAI-compatible preset with another base URL and key variable) is ``dataclasses.replace`` of
it, not a subclass.

Contract for ``encode``: it is pure and deterministic, reads only its :class:`WireRequest`, and
raises ``ValueError`` (``llmport.domain.options.unsupported_option``) for an option the wire
cannot express. It must accept empty ``messages`` and ``tools``: the adapter encodes its
constructor defaults once, up front, so a bad default fails at construction, not mid-run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmport.core.decoding import StreamDecoder
from llmport.core.errors_map import ErrorMapper
from llmport.core.http_settings import Framing
from llmport.domain.messages import AgentMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

__all__ = ["KeySpec", "Wire", "WireRequest", "no_settings"]


@dataclass(frozen=True, slots=True)
class KeySpec:
    """How a wire authenticates.

    ``header`` carries ``scheme + key`` (``authorization: Bearer ...``, ``x-api-key: ...``).
    ``env`` lists the environment variables tried in order when no ``api_key=`` is given.
    ``required``: False when the server usually runs keyless (Ollama). ``optional_off_default``:
    the key is required only for the wire's default host (OpenAI: a custom ``base_url``, as
    llama.cpp or vLLM run, may be keyless, and then no header is sent).
    """

    header: str
    env: tuple[str, ...] = ()
    scheme: str = ""
    required: bool = True
    optional_off_default: bool = False


@dataclass(frozen=True, slots=True)
class WireRequest:
    """What ``encode`` sees: the conversation, the effective options and the wire's settings."""

    model: str
    messages: Sequence[AgentMessage]
    tools: Sequence[ToolDefinition]
    options: CallOptions
    settings: Any
    provider: str
    base_url: str


def no_settings(**settings: Any) -> None:
    """The settings factory of a wire without wire-specific constructor keywords."""
    if settings:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(settings))}")


def _identity(base_url: str) -> str:
    return base_url


def _no_headers(settings: Any) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True, slots=True)
class Wire:
    """One vendor wire. See the module docstring for the contract of each function.

    ``url(base_url, model)`` builds the request URL; ``decoder(provider)`` makes a fresh
    decoder per request; ``settings(**keywords)`` turns the wire-specific constructor keywords
    into the settings object ``encode`` and ``headers`` receive (unknown keywords: ``TypeError``);
    ``framing_for(content_type)``, when set, picks the framing once the response started.
    """

    name: str
    provider: str
    default_base_url: str
    url: Callable[[str, str], str]
    encode: Callable[[WireRequest], dict[str, Any]]
    decoder: Callable[[str], StreamDecoder]
    error_mapper: ErrorMapper
    key: KeySpec | None = None
    base_url_env: tuple[str, ...] = ()
    normalize_base_url: Callable[[str], str] = _identity
    headers: Callable[[Any], Mapping[str, str]] = _no_headers
    settings: Callable[..., Any] = no_settings
    framing: Framing = "sse"
    framing_for: Callable[[str], Framing] | None = None
    accept: str = "text/event-stream"
