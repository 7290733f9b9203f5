"""Shared by the tests that need the real embedded model (SmolLM2-135M through llama.cpp).

``requires_local_model`` skips, with the reason, only when ``xllamacpp`` is not installed or the
pinned model file cannot be had (``scripts/test.sh`` installs the one and fetches the other, so
in CI these tests run). The model is loaded once per process (``load_model`` caches it), so
every test shares it; keep ``max_tokens`` small.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from llmport.adapters.local import catalog
from tests.conftest import MODELS_DIR


def _missing() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'llmport[local]')"
    previous = os.environ.get("LLMPORT_MODELS")
    os.environ["LLMPORT_MODELS"] = MODELS_DIR
    try:
        catalog.pull()  # once: a present, verified file is kept
    except catalog.ModelFetchError as error:
        return f"the pinned local model could not be fetched: {error.message}"
    finally:
        if previous is None:
            del os.environ["LLMPORT_MODELS"]
        else:
            os.environ["LLMPORT_MODELS"] = previous
    return None


MISSING = _missing()
MODEL_FILE = Path(MODELS_DIR) / catalog.KNOWN_MODELS[catalog.DEFAULT_MODEL].filename

requires_local_model = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
