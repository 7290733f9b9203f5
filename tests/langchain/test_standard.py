"""LangChain's own standard suites (``langchain-tests``) against ``ChatLlmport``, offline.

``ChatModelUnitTests`` on a model string; ``ChatModelIntegrationTests`` over the scripted
``Responder`` double (tests/support/responder.py). Skips are the suites' own, driven by the
capability flags below; each flag says why.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("langchain_tests", reason="langchain-tests is not installed")

from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from llmport.langchain import ChatLlmport
from tests.adapters.local_model_support import requires_local_model
from tests.support.responder import Responder


class TestChatLlmportUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatLlmport]:
        return ChatLlmport

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "scripted"}


@pytest.fixture(autouse=True)
def _responder_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """``connect("responder:NAME")`` -> the Responder double (for per-call model overrides)."""
    from llmport import registry

    monkeypatch.setattr(registry, "_ENTRIES", dict(registry._ENTRIES))
    registry.register(
        registry.ProviderEntry("responder", "tests.support.responder:from_model_string", "test")
    )


class TestChatLlmportOverScripted(ChatModelIntegrationTests):
    """A ready port: ``ChatLlmport(Responder())``."""

    @property
    def chat_model_class(self) -> type[ChatLlmport]:
        return ChatLlmport

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"port": Responder()}

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # The suite's defaults (temperature 0, max_tokens 100, timeout, max_retries) minus the
        # connection settings a ready port does not take.
        return {"temperature": 0, "max_tokens": 100, "stop": []}

    @property
    def supports_image_inputs(self) -> bool:
        return False  # the suite downloads its image from the internet; these tests run offline

    @property
    def supports_model_override(self) -> bool:
        return False  # a ready port is one model; per-call model= needs a model string


class TestChatLlmportOverAModelString(TestChatLlmportOverScripted):
    """A model string: ``ChatLlmport("responder:responder-1")``, so model= works per call."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "responder:responder-1"}

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "responder-2"


@requires_local_model
@pytest.mark.slow
class TestChatLlmportOverLocalModel(ChatModelIntegrationTests):
    """The embedded SmolLM2-135M (``ChatLlmport("local")``), in process, greedy."""

    @property
    def chat_model_class(self) -> type[ChatLlmport]:
        return ChatLlmport

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "local"}

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # Greedy and short: a 135M model on two shared cores.
        return {"temperature": 0, "max_tokens": 48, "stop": []}

    @property
    def supports_image_inputs(self) -> bool:
        return False  # SmolLM2 reads text only (and the suite downloads its image)

    @property
    def supports_model_override(self) -> bool:
        return False  # one embedded model
