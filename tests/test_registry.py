"""The registry is complete: every registered wire has a conformance run and a golden suite."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmport import registry
from llmport.connect import connect, known_prefixes
from llmport.registry import ProviderEntry
from tests.support.wires import WIRE_SUITES, missing_suites


def test_every_registered_wire_has_its_suites() -> None:
    assert missing_suites(registry.entries()) == []


def test_a_wire_registered_without_its_suites_fails_the_check() -> None:
    lonely = ProviderEntry(
        "lonely", "llmport.adapters.scripted:from_model_string", "x", wire="nope"
    )
    problems = missing_suites([*registry.entries(), lonely])
    assert problems == ["wire 'nope' has no conformance run (tests/support/wires.py)"]


def test_a_wire_whose_goldens_are_missing_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    suite = WIRE_SUITES["anthropic"]
    monkeypatch.setitem(
        WIRE_SUITES, "anthropic", type(suite)(suite.wire, suite.wire_formats, "absent", "x")
    )
    assert missing_suites(registry.entries()) == [
        "wire 'anthropic' has no golden suite (tests/golden/absent)"
    ]


def test_every_prefix_resolves_and_reading_the_registry_imports_no_adapter() -> None:
    assert known_prefixes() == sorted(e.prefix for e in registry.entries())
    for entry in registry.entries():
        assert entry.factory.count(":") == 1, entry
        assert entry.description
    code = (
        "import sys, llmport.registry as r\n"
        "[r.key_is_set(e) for e in r.entries()]\n"
        "print(sorted(m for m in sys.modules if m.startswith('llmport.adapters')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_key_is_set_never_reads_out_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    openai = registry.entry("openai")
    assert openai is not None
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert registry.key_is_set(openai) is False
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    assert registry.key_is_set(openai) is True
    assert "sk-secret" not in repr(openai)


def test_unknown_prefixes_name_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known prefixes"):
        connect("nope:model")
