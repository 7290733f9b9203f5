"""The test suites every registered wire must have: a conformance run and a golden suite.

``WIRE_SUITES`` maps a registry wire name (``llmport.registry.ProviderEntry.wire``) to the
recorded stream formats it decodes, its golden folder under ``tests/golden/`` and how to build
its port over an injected client. ``tests/testing/test_adapters_conform.py`` runs the
conformance kit over every entry; ``tests/test_registry.py`` fails when a registered wire has no
entry here or no goldens. Adding a wire: one line in ``llmport.registry``, one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from llmport.ports import LlmCompletionPort
from llmport.registry import ProviderEntry, entries, resolve_factory
from tests.support.goldens import GOLDEN_DIR

PortFactory = Callable[[Any], LlmCompletionPort]


@dataclass(frozen=True)
class WireSuite:
    wire: str
    wire_formats: tuple[str, ...]
    golden_dir: str
    prefix: str  # the connect() prefix whose factory builds the port under test

    def port(self, client: Any, base_url: str | None = None) -> LlmCompletionPort:
        """The port over ``client`` (any transport's), at ``base_url`` (None: the vendor's)."""
        found = next(e for e in entries() if e.prefix == self.prefix)
        extra = {} if base_url is None else {"base_url": base_url}
        port: LlmCompletionPort = resolve_factory(found)(
            "recorded", api_key="k", http_client=client, max_retries=0, **extra
        )
        return port


WIRE_SUITES: dict[str, WireSuite] = {
    s.wire: s
    for s in (
        WireSuite("openai_chat", ("openai_chat_sse",), "openai_chat", "openai"),
        WireSuite("anthropic", ("anthropic_messages_sse",), "anthropic", "anthropic"),
        WireSuite("ollama", ("ollama_ndjson",), "ollama", "ollama"),
        WireSuite("gemini", ("gemini_sse", "gemini_json_array"), "gemini", "gemini"),
        WireSuite(
            "openai_responses", ("openai_responses_sse",), "openai_responses", "openai-responses"
        ),
    )
}


def missing_suites(registered: Iterable[ProviderEntry]) -> list[str]:
    """What is missing for each registered wire: its conformance run or its golden suite."""
    problems: list[str] = []
    for wire in sorted({e.wire for e in registered if e.wire is not None}):
        suite = WIRE_SUITES.get(wire)
        if suite is None:
            problems.append(f"wire {wire!r} has no conformance run (tests/support/wires.py)")
            continue
        goldens = GOLDEN_DIR / suite.golden_dir
        if not goldens.is_dir() or not any(goldens.glob("*.json")):
            problems.append(f"wire {wire!r} has no golden suite (tests/golden/{suite.golden_dir})")
    return problems
