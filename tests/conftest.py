"""Suite-wide isolation: no test sees the developer's vendor keys, base URLs or run log."""

from __future__ import annotations

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
)


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in VENDOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLMPORT_HOME", str(tmp_path_factory.mktemp("llmport-home")))
