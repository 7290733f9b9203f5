"""connect("provider:model"): model strings to ports, and a clear error for unknown ones."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import llmport
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.connect import UnknownProviderError, connect, known_prefixes, register
from llmport.domain.events import Done


async def test_scripted_resolves_to_a_working_port() -> None:
    port = connect("scripted:any-model", turns=[ScriptedTurn.text("hello")])
    assert isinstance(port, ScriptedAdapter)
    stream = await port.chat_stream([], [])
    async with stream:
        events = [event async for event in stream]
    assert isinstance(events[-1], Done)
    assert events[-1].message.text == "hello"


def test_bare_prefix_works() -> None:
    port = connect("scripted")
    assert isinstance(port, ScriptedAdapter)
    assert port.remaining == 0


def test_prefix_is_case_and_space_insensitive() -> None:
    assert isinstance(connect("Scripted:x"), ScriptedAdapter)
    assert isinstance(connect(" scripted :x"), ScriptedAdapter)


def test_options_reach_the_factory() -> None:
    port = connect("scripted:x", provider="custom")
    assert isinstance(port, ScriptedAdapter)
    assert port.provider == "custom"


@pytest.mark.parametrize("model", ["nope:gpt", "nope", "", ":model", "gpt-4o"])
def test_unknown_prefix_lists_the_known_ones(model: str) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        connect(model)
    message = str(caught.value)
    assert f"in {model!r}" in message
    assert "known prefixes: " in message
    for prefix in known_prefixes():
        assert prefix in message
    assert isinstance(caught.value, ValueError)


def test_known_prefixes_include_scripted_and_are_sorted() -> None:
    prefixes = known_prefixes()
    assert "scripted" in prefixes
    assert prefixes == sorted(prefixes)


def test_register_a_third_party_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    registry_module = importlib.import_module("llmport.registry")
    monkeypatch.setattr(registry_module, "_ENTRIES", dict(registry_module._ENTRIES))
    register("mine", "llmport.adapters.scripted:from_model_string")
    assert "mine" in known_prefixes()
    assert isinstance(connect("mine:model"), ScriptedAdapter)


def test_importing_the_submodule_first_does_not_shadow_the_function() -> None:
    # The import system sets the package attribute ``connect`` to the submodule when it is
    # imported; ``from llmport import connect`` must still give the function.
    code = (
        "import llmport.connect\n"
        "from llmport import connect\n"
        "import llmport\n"
        "assert callable(connect), connect\n"
        "assert llmport.connect is connect\n"
        "print(type(connect('scripted')).__name__)\n"
    )
    src = str(Path(llmport.__file__).resolve().parents[1])  # the code under test, not /work/main
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "PYTHONPATH": src},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ScriptedAdapter"
