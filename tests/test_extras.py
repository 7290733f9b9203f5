"""Each integration says which extra it needs when that extra is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize(
    ("module", "hidden", "extra"),
    [
        ("llmport.mcp", "mcp", "mcp"),
        ("llmport.otel", "opentelemetry", "otel"),
        ("llmport.langchain", "langchain_core", "langchain"),
    ],
)
def test_a_missing_extra_is_named(module: str, hidden: str, extra: str) -> None:
    code = textwrap.dedent(
        f"""
        import importlib.util
        real = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == {hidden!r} else real(name, *a)
        try:
            import {module}
        except ImportError as error:
            print(error)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    ).stdout.strip()  # fmt: skip
    assert out == f"{module} needs the '{extra}' extra: pip install 'llmport[{extra}]'"
