"""GenAI semantic-convention names and the small mappings from llmport's types to them.

Plain strings (the ``opentelemetry-semantic-conventions`` package is not a dependency).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llmport.domain.events import FinishReason
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from llmport.domain.options import CallOptions
from llmport.domain.redaction import redact
from llmport.domain.tools import ToolDefinition

OPERATION: Final = "gen_ai.operation.name"
PROVIDER: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_ID: Final = "gen_ai.response.id"
FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
REASONING_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
ERROR_TYPE: Final = "error.type"
TOKEN_TYPE: Final = "gen_ai.token.type"  # noqa: S105 (an attribute name)
AGENT_NAME: Final = "gen_ai.agent.name"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
TOOL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_RESULT: Final = "gen_ai.tool.call.result"
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
RETRIES: Final = "llmport.retries"
"""Retries the request needed before its stream started (llmport's own attribute)."""

# llmport's provider names where the conventions spell them differently.
_PROVIDERS: Final = {"gemini": "gcp.gemini", "vertex": "gcp.vertex_ai", "local": "llama_cpp"}

# Finish reasons as the conventions (and OpenAI) spell them.
_FINISH: Final = {
    FinishReason.STOP: "stop",
    FinishReason.TOOL_CALLS: "tool_call",
    FinishReason.LENGTH: "length",
    FinishReason.CONTENT_FILTER: "content_filter",
}


def provider_name(provider: str | None) -> str:
    if not provider:
        return "_OTHER"
    return _PROVIDERS.get(provider, provider)


def finish_reason(reason: FinishReason) -> str:
    return _FINISH.get(reason, reason.value)


def request_attributes(options: CallOptions | None) -> dict[str, Any]:
    """``gen_ai.request.*`` from the per-call options that are set."""
    if options is None:
        return {}
    out: dict[str, Any] = {}
    if options.max_tokens is not None:
        out["gen_ai.request.max_tokens"] = options.max_tokens
    if options.temperature is not None:
        out["gen_ai.request.temperature"] = float(options.temperature)
    if options.top_p is not None:
        out["gen_ai.request.top_p"] = float(options.top_p)
    if options.stop is not None:
        out["gen_ai.request.stop_sequences"] = list(options.stop)
    if options.seed is not None:
        out["gen_ai.request.seed"] = options.seed
    return out


# --- contents (only on opt-in) ---------------------------------------------------------------


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "content": redact(text)}


def _message(message: AgentMessage) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if isinstance(message, UserMessage):
        if isinstance(message.content, str):
            parts.append(_text_part(message.content))
        else:
            for part in message.content:
                if isinstance(part, TextPart):
                    parts.append(_text_part(part.text))
                elif isinstance(part, ImagePart):
                    parts.append({"type": "blob", "modality": "image"})
        return {"role": "user", "parts": parts}
    if isinstance(message, AssistantMessage):
        if message.text:
            parts.append(_text_part(message.text))
        for call in message.tool_calls:
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.id,
                    "name": call.name,
                    "arguments": json.loads(redact(call.arguments_json())),
                }
            )
        return {"role": "assistant", "parts": parts}
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": message.tool_call_id,
                 "response": redact(message.content)}
            ],
        }  # fmt: skip
    return {"role": "system", "parts": [_text_part(message.content)]}


def input_messages(messages: Sequence[AgentMessage]) -> tuple[str | None, str]:
    """(system instructions JSON or None, input messages JSON)."""
    system = [_text_part(m.content) for m in messages if isinstance(m, SystemMessage)]
    rest = [_message(m) for m in messages if not isinstance(m, SystemMessage)]
    return (json.dumps(system) if system else None), json.dumps(rest)


def output_messages(message: AssistantMessage, reason: FinishReason) -> str:
    out = _message(message)
    out["finish_reason"] = finish_reason(reason)
    return json.dumps([out])


def tool_definitions(tools: Sequence[ToolDefinition]) -> str:
    return json.dumps(
        [
            {"type": "function", "name": t.name, "description": t.description,
             "parameters": dict(t.parameters)}
            for t in tools
        ]
    )  # fmt: skip


def arguments_json(arguments: Mapping[str, Any]) -> str:
    return redact(json.dumps(dict(arguments), default=str))
