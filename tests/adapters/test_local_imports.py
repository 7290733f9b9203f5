"""The local adapter costs nothing until it is used: no llama.cpp at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_importing_the_adapter_does_not_import_llama_cpp() -> None:
    code = (
        "import sys, llmport\n"
        "from llmport import LocalLlamaAdapter, connect\n"
        "import llmport.adapters.local.engine, llmport.adapters.local.catalog\n"
        "print('xllamacpp' in sys.modules, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    ).stdout
    assert out.split() == ["False", "False"]
