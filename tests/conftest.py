"""Suite-wide isolation: no test sees the developer's vendor keys, base URLs or run log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Variables the adapters and the CLI read; a developer's real ones must not steer the tests
# (a key would reach a mock server's logs, a base URL would redirect a request).
VENDOR_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "OPENROUTER_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "TOGETHER_API_KEY",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
)

# The embedded model's file is shared by every test (fetched once, by scripts/test.sh or the
# first test that needs it), outside each test's private LLMPORT_HOME.
MODELS_DIR = os.environ.get("LLMPORT_MODELS") or str(
    Path(__file__).resolve().parents[1] / ".venv" / "llmport-models"
)


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in VENDOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLMPORT_HOME", str(tmp_path_factory.mktemp("llmport-home")))
    monkeypatch.setenv("LLMPORT_MODELS", MODELS_DIR)


@pytest.fixture(params=["httpx2", "httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test once per transport; an adapter built without ``http_client=`` uses it."""
    name: str = request.param
    monkeypatch.setenv("LLMPORT_TRANSPORT", name)
    return name
