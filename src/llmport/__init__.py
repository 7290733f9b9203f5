"""llmport: one small port for streaming LLMs, correct on every wire.

``import llmport`` stays light: the domain, the ports and ``connect`` load at once (stdlib only);
adapters and the agent loop load on first use, so a program that only needs one adapter never
pays for httpx, pydantic or llama.cpp it does not use.
"""

import typing as _typing
from importlib import import_module as _import_module

# Bound eagerly, not lazily: importing the submodule ``llmport.connect`` (as the CLI or a user
# may) sets the package attribute ``connect`` to that module, which would then shadow a lazily
# loaded function. connect.py only needs the stdlib and the ports.
from llmport.connect import connect
from llmport.domain import (
    AgentMessage,
    AssistantMessage,
    AuthenticationError,
    BadRequestError,
    CallOptions,
    ContentPolicyError,
    ContextLengthExceededError,
    Done,
    ErrorCategory,
    FinishReason,
    ImagePart,
    LlmConnectionError,
    LlmError,
    LlmStreamEvent,
    LlmTimeoutError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    Reasoning,
    ReasoningDelta,
    ReasoningPart,
    ServerError,
    StreamError,
    StreamInBandError,
    StreamProtocolError,
    StreamTooLargeError,
    StreamTruncatedError,
    SystemMessage,
    TextDelta,
    TextPart,
    TimeoutConnectError,
    TimeoutDeadlineError,
    TimeoutFirstEventError,
    TimeoutIdleError,
    ToolCall,
    ToolCallDelta,
    ToolDefinition,
    ToolMessage,
    Usage,
    UserMessage,
    UserPart,
    message_from_dict,
    message_to_dict,
    messages_from_json,
    messages_to_json,
    redact,
    register_secret,
)
from llmport.ports import LlmCompletionPort, LlmEventStream, ToolExecutorPort

if _typing.TYPE_CHECKING:
    from llmport.adapters.anthropic import AnthropicAdapter
    from llmport.adapters.gemini import GeminiAdapter
    from llmport.adapters.local import LocalLlamaAdapter
    from llmport.adapters.ollama import OllamaAdapter
    from llmport.adapters.openai_chat import OpenAIChatAdapter
    from llmport.adapters.openai_responses import OpenAIResponsesAdapter
    from llmport.adapters.scripted import ScriptedAdapter
    from llmport.agent.errors import AgentError
    from llmport.agent.events import (
        AgentEvent,
        AgentReasoningDelta,
        AgentTextDelta,
        RunFinished,
        ToolCallFinished,
        ToolCallStarted,
        TurnFinished,
    )
    from llmport.agent.loop import Agent, AgentResult
    from llmport.agent.tools import Tool, ToolRegistry, tool

__version__ = "0.1.0"

# name -> module that defines it; loaded on first attribute access (PEP 562).
_LAZY: dict[str, str] = {
    "ScriptedAdapter": "llmport.adapters.scripted",
    "AnthropicAdapter": "llmport.adapters.anthropic",
    "OpenAIChatAdapter": "llmport.adapters.openai_chat",
    "OpenAIResponsesAdapter": "llmport.adapters.openai_responses",
    "LocalLlamaAdapter": "llmport.adapters.local",
    "GeminiAdapter": "llmport.adapters.gemini",
    "OllamaAdapter": "llmport.adapters.ollama",
    "Agent": "llmport.agent.loop",
    "AgentResult": "llmport.agent.loop",
    "AgentError": "llmport.agent.errors",
    "AgentEvent": "llmport.agent.events",
    "AgentTextDelta": "llmport.agent.events",
    "AgentReasoningDelta": "llmport.agent.events",
    "ToolCallStarted": "llmport.agent.events",
    "ToolCallFinished": "llmport.agent.events",
    "TurnFinished": "llmport.agent.events",
    "RunFinished": "llmport.agent.events",
    "Tool": "llmport.agent.tools",
    "ToolRegistry": "llmport.agent.tools",
    "tool": "llmport.agent.tools",
}

__all__ = [
    "CallOptions",
    "GeminiAdapter",
    "OllamaAdapter",
    "OpenAIResponsesAdapter",
    "Reasoning",
    "Agent",
    "AgentError",
    "AgentEvent",
    "AgentMessage",
    "AgentReasoningDelta",
    "AgentResult",
    "AgentTextDelta",
    "AnthropicAdapter",
    "AssistantMessage",
    "AuthenticationError",
    "BadRequestError",
    "ContentPolicyError",
    "ContextLengthExceededError",
    "Done",
    "ErrorCategory",
    "FinishReason",
    "ImagePart",
    "LlmCompletionPort",
    "LlmConnectionError",
    "LlmError",
    "LlmEventStream",
    "LlmStreamEvent",
    "LlmTimeoutError",
    "LocalLlamaAdapter",
    "NotFoundError",
    "OpenAIChatAdapter",
    "OverloadedError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "ReasoningDelta",
    "ReasoningPart",
    "RunFinished",
    "ScriptedAdapter",
    "ServerError",
    "StreamError",
    "StreamInBandError",
    "StreamProtocolError",
    "StreamTooLargeError",
    "StreamTruncatedError",
    "SystemMessage",
    "TextDelta",
    "TextPart",
    "TimeoutConnectError",
    "TimeoutDeadlineError",
    "TimeoutFirstEventError",
    "TimeoutIdleError",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "ToolDefinition",
    "ToolExecutorPort",
    "ToolMessage",
    "ToolRegistry",
    "TurnFinished",
    "Usage",
    "UserMessage",
    "UserPart",
    "connect",
    "message_from_dict",
    "message_to_dict",
    "messages_from_json",
    "messages_to_json",
    "redact",
    "register_secret",
    "tool",
]


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmport' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
