"""llama.cpp's own HTTP server (from the ``xllamacpp`` wheel) in a subprocess, for the tests.

It serves ``/v1/chat/completions``, ``/v1/messages`` (Anthropic) and ``/v1/responses`` with the
pinned SmolLM2-135M GGUF, on 127.0.0.1, a random port, and a random API key (its listener is
otherwise open to every local process). The fixture waits for ``/health`` and always stops the
process. (SmolLM2's chat template knows no tools, and llama.cpp's server then answers a request
with tools, even a forced one, in plain text: tool calls on a real model are tested through the
embedded adapter, whose grammar makes them.)

Run as a module it is the server process itself:
``python -m tests.support.llama_server MODEL.gguf KEY`` prints its address, then serves until
its standard input closes.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LlamaServer:
    """A running server: ``url`` is its root (``http://127.0.0.1:PORT``), ``api_key`` its key."""

    url: str
    api_key: str

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"


def serve(model: str, key: str) -> None:  # pragma: no cover - runs in the subprocess
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.warmup = False
    params.verbosity = -1
    params.use_jinja = True
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.api_keys = [key]
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or kills us)


def start(model: Path, *, timeout: float = 90.0) -> Iterator[LlamaServer]:
    """Start the server process; yield it once ``/health`` answers; always stop it."""
    key = secrets.token_urlsafe(24)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.llama_server", str(model), key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}"},
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"llama.cpp's server did not start (exit {process.poll()})")
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("llama.cpp's server did not become healthy")
            time.sleep(0.2)
        yield LlamaServer(url, key)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def missing() -> str | None:
    """Why the server cannot run here, or None."""
    from tests.adapters.local_model_support import MISSING

    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'llmport[local]')"
    return MISSING


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    from tests.adapters.local_model_support import MODEL_FILE

    yield from start(MODEL_FILE)


if __name__ == "__main__":  # pragma: no cover
    serve(sys.argv[1], sys.argv[2])
