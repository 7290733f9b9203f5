"""Finding the pinned model file, refusing to run without the runtime, and loading it once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from llmport import connect
from llmport.adapters.local import LocalLlamaAdapter, catalog
from llmport.adapters.local.model import (
    INSTALL_HINT,
    LocalModelUnavailableError,
    default_gguf_path,
    default_threads,
    load_model,
)
from llmport.domain.errors import LlmError, NotFoundError
from tests.adapters.local_model_support import MODEL_FILE, requires_local_model


@requires_local_model
def test_the_default_model_is_the_verified_pinned_file() -> None:
    path = default_gguf_path()
    assert path == MODEL_FILE
    pinned = catalog.KNOWN_MODELS[catalog.DEFAULT_MODEL]
    assert path.stat().st_size == pinned.size_bytes
    assert catalog.sha256_of(path) == pinned.sha256


def test_offline_without_the_file_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMPORT_MODELS", str(tmp_path))

    def offline(model: catalog.LocalModel, into: Path) -> Path:
        raise catalog.ModelFetchError("could not download (network unreachable)", provider="local")

    monkeypatch.setattr(catalog, "_download", offline)
    with pytest.raises(LocalModelUnavailableError, match="llmport models pull") as caught:
        default_gguf_path()
    assert isinstance(caught.value, LlmError) and caught.value.provider == "local"
    assert "\n" not in str(caught.value)
    with pytest.raises(LocalModelUnavailableError, match="llmport models pull"):
        default_gguf_path(fetch=False)


def test_missing_xllamacpp_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "xllamacpp" else real(name, *a),
    )
    with pytest.raises(LocalModelUnavailableError, match=r"llmport\[local\]") as caught:
        LocalLlamaAdapter()
    assert INSTALL_HINT in str(caught.value)


@requires_local_model
def test_a_missing_gguf_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no model file"):
        connect(f"local:{tmp_path / 'nope.gguf'}")


@requires_local_model
def test_connect_local_is_the_embedded_default_and_local_path_any_gguf() -> None:
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
