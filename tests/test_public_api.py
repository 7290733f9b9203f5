"""The public surface: ``llmport.__all__`` is complete and every name in it resolves."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import llmport

# Everything DESIGN.md section 2 promises at the top level (adapters are added as they land).
PROMISED = {
    "AgentMessage", "SystemMessage", "UserMessage", "AssistantMessage", "ToolMessage",
    "TextPart", "ImagePart", "ReasoningPart", "ToolCall", "ToolDefinition",
    "LlmStreamEvent", "TextDelta", "ReasoningDelta", "ToolCallDelta", "Done", "FinishReason",
    "Usage", "LlmCompletionPort", "LlmEventStream", "ToolExecutorPort", "connect",
    "ScriptedAdapter", "Agent", "tool", "LlmError", "AgentError",
    "AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError",
    "ContextLengthExceededError", "ContentPolicyError", "RateLimitError", "QuotaExceededError",
    "OverloadedError", "ServerError", "LlmConnectionError", "LlmTimeoutError", "StreamError",
}  # fmt: skip


def test_all_contains_every_promised_name() -> None:
    assert PROMISED <= set(llmport.__all__)


def test_every_name_in_all_resolves() -> None:
    for name in llmport.__all__:
        assert getattr(llmport, name) is not None, name


def test_all_has_no_duplicates_and_matches_public_module_attributes() -> None:
    assert len(llmport.__all__) == len(set(llmport.__all__))
    public = {n for n in dir(llmport) if not n.startswith("_")}
    # Every public attribute (other than submodules and the version) is listed in __all__.
    import types

    missing = {
        n
        for n in public - set(llmport.__all__)
        if not isinstance(getattr(llmport, n), types.ModuleType)
    }
    assert missing == set()


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        llmport.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_llmport_loads_no_heavy_dependency() -> None:
    code = textwrap.dedent(
        """
        import sys, llmport
        heavy = [m for m in ("httpx", "httpx2", "httpcore2", "aiohttp", "pydantic", "llama_cpp",
                             "rich", "anyio", "asyncio", "mcp", "opentelemetry", "langchain_core",
                             "ray", "dbos", "llmport.mcp", "llmport.otel", "llmport.langchain")
                 if m in sys.modules]
        print(",".join(heavy))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_nested_error_aliases_are_reachable_from_the_package() -> None:
    assert llmport.StreamError.Truncated is llmport.StreamTruncatedError
    assert llmport.LlmTimeoutError.Idle is llmport.TimeoutIdleError
    assert llmport.AgentError.Internal.__name__ == "AgentInternalError"
