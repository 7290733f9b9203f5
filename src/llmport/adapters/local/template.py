"""Our conversation as the prompt text a local model reads (pure; no llama.cpp here).

SmolLM2 speaks ChatML (``<|im_start|>role\\ncontent<|im_end|>``). Tools go into the system
text as one JSON line each inside ``<tools>``, with the one format the adapter accepts back: a
JSON object ``{"tool": NAME, "arguments": {...}}``. An assistant turn that called tools is
written back in that same format, and a tool's result becomes a user turn ("The calculator tool
returned: 57"): the model has no tool role, and measured on SmolLM2-135M this wording is the one
it answers from ("The calculator returned 57.") where a ``tool`` turn made it ramble.

A 135M model barely follows instructions, so when it may choose between answering and calling
a tool, short example exchanges are placed before the conversation: each offered tool's
description as a request answered by a call (placeholder arguments, or the schema's own
``examples`` / ``default`` / first ``enum`` value), a concrete request answered by a call of a
tool that is never offered, then a greeting answered in words. Measured on SmolLM2-135M, they
raise the log-odds of a call for requests that fit a tool (arithmetic, "show me notes.txt") by
4 to 7 and leave greetings and creative requests well below them.

Models that are not ChatML (any ``local:PATH.gguf``) get the same content as plain
role/content dicts (``as_role_dicts``) for their own chat template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from llmport.domain.errors import BadRequestError
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition

__all__ = [
    "DEFAULT_SYSTEM",
    "TOOL_CALL_PREFIX",
    "RenderedPrompt",
    "arguments_prefix",
    "compact_schema",
    "as_role_dicts",
    "call_json",
    "example_call",
    "examples_for",
    "json_name",
    "render_chatml",
    "tool_result_text",
    "tools_instructions",
]

# SmolLM2's own default system prompt (from its chat template).
DEFAULT_SYSTEM: Final = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

# What an assistant turn that calls a tool starts with; the adapter's grammars produce it.
TOOL_CALL_PREFIX: Final = '{"tool": "'

_GREETING: Final = ("Hi there!", "Hello! How can I help you today?")
# A concrete request answered by a call of a tool that is never offered (the name grammar
# cannot produce it): the one example that shows what a fitting request looks like.
_WEATHER: Final = (
    "What is the weather in Paris?",
    '{"tool": "get_weather", "arguments": {"city": "Paris"}}',
)
_PLACEHOLDERS: Final[dict[str, object]] = {
    "string": "...",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
}
MAX_EXAMPLE_TOOLS: Final = 3


def _example_value(schema: Mapping[str, Any]) -> object:
    for key in ("examples", "enum"):
        values = schema.get(key)
        if isinstance(values, list) and values:
            return values[0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    return _PLACEHOLDERS.get(kind if isinstance(kind, str) else "string", "...")


def example_call(tool: ToolDefinition) -> str:
    """A call of ``tool`` with placeholder values for its required arguments."""
    properties = tool.parameters.get("properties") or {}
    required = tool.parameters.get("required") or ()
    arguments = {
        name: _example_value(schema if isinstance(schema, Mapping) else {})
        for name, schema in properties.items()
        if name in required
    }
    return json.dumps({"tool": tool.name, "arguments": arguments}, ensure_ascii=False)


def examples_for(tools: Sequence[ToolDefinition]) -> list[tuple[str, str]]:
    """Example exchanges: each tool's description as a request answered by a call, a concrete
    request answered by a call, and a greeting answered in words."""
    out = [
        (tool.description or f"Use the {tool.name} tool.", example_call(tool))
        for tool in tools[:MAX_EXAMPLE_TOOLS]
    ]
    out.append(_WEATHER)
    out.append(_GREETING)
    return out


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """The prompt, ending where the assistant starts to speak.

    ``segments`` pairs each piece of text with whether it is template markup: markup is
    tokenized with the model's control tokens, message text never is, so a message that
    contains ``<|im_start|>`` cannot forge a turn.
    """

    segments: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)


def json_name(name: str) -> str:
    """A tool name as it appears between the quotes of a JSON string."""
    return json.dumps(name, ensure_ascii=False)[1:-1]


def call_json(call: ToolCall) -> str:
    """One tool call in the format the model is taught (and the grammars produce)."""
    return f"{arguments_prefix(call.name)}{call.arguments_json()}}}"


def arguments_prefix(name: str) -> str:
    """The text before a call's arguments object: the adapter fills in the rest."""
    return f'{TOOL_CALL_PREFIX}{json_name(name)}", "arguments": '


def compact_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` without what does not constrain values (descriptions, titles, examples,
    ``additionalProperties``): smaller grammars, and a tool list a small model reads better."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in {"description", "title", "examples", "$comment", "additionalProperties"}:
            continue
        if isinstance(value, Mapping):
            out[key] = (
                {k: compact_schema(v) if isinstance(v, Mapping) else v for k, v in value.items()}
                if key in {"properties", "$defs", "definitions", "patternProperties"}
                else compact_schema(value)
            )
        elif isinstance(value, list):
            out[key] = [compact_schema(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def tools_instructions(tools: Sequence[ToolDefinition]) -> str:
    """The system-text block that lists the tools and the call format."""
    lines = [
        json.dumps(
            {
                "name": t.name,
                "description": t.description,
                "parameters": compact_schema(t.parameters),
            },
            ensure_ascii=False,
        )
        for t in tools
    ]
    return (
        "You are a helpful assistant. You can call these tools:\n<tools>\n"
        + "\n".join(lines)
        + "\n</tools>\n"
        + 'To call a tool, reply only with a JSON object: {"tool": "<name>", "arguments": {...}}. '
        + "Otherwise answer the user directly."
    )


def tool_result_text(message: ToolMessage) -> str:
    """A tool's result as the model reads it (a user turn: SmolLM2 knows no tool role)."""
    tool = f"The {message.name} tool" if message.name else "The tool"
    verb = "failed" if message.is_error else "returned"
    return f"{tool} {verb}: {message.content}"


def _user_text(message: UserMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if any(not isinstance(part, TextPart) for part in message.content):
        raise BadRequestError("the local model reads text only; remove the image parts")
    return message.text


def _assistant_text(message: AssistantMessage) -> str:
    parts = [message.text] if message.text else []
    parts.extend(call_json(call) for call in message.tool_calls)
    return "\n".join(parts)


def as_role_dicts(
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition],
    *,
    system: str | None = DEFAULT_SYSTEM,
    examples: bool = False,
) -> list[dict[str, str]]:
    """The conversation as ``{"role", "content"}`` dicts, system text (with tools) first.

    Every system message is merged into the first one; tool results become user turns.
    """
    system_parts = [m.content for m in messages if isinstance(m, SystemMessage)]
    if not system_parts and system:
        system_parts.append(system)
    if tools:
        system_parts.append(tools_instructions(tools))
    out: list[dict[str, str]] = []
    if system_parts:
        out.append({"role": "system", "content": "\n\n".join(system_parts)})
    if examples:
        for question, answer in examples_for(tools):
            out.append({"role": "user", "content": question})
            out.append({"role": "assistant", "content": answer})
    for message in messages:
        match message:
            case SystemMessage():
                continue
            case UserMessage():
                out.append({"role": "user", "content": _user_text(message)})
            case AssistantMessage():
                out.append({"role": "assistant", "content": _assistant_text(message)})
            case ToolMessage():
                out.append({"role": "user", "content": tool_result_text(message)})
            case _:  # pragma: no cover - the union is closed
                raise TypeError(f"not an AgentMessage: {type(message).__name__}")
    return out


def render_chatml(
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition] = (),
    *,
    system: str | None = DEFAULT_SYSTEM,
    examples: bool = False,
) -> RenderedPrompt:
    """The ChatML prompt for ``messages`` and ``tools``, open for the assistant's answer."""
    if all(isinstance(m, SystemMessage) for m in messages):
        raise BadRequestError("the conversation has no message to answer")
    turns = as_role_dicts(messages, tools, system=system, examples=examples)
    segments: list[tuple[str, bool]] = []
    for turn in turns:
        segments.append((f"<|im_start|>{turn['role']}\n", True))
        segments.append((turn["content"], False))
        segments.append(("<|im_end|>\n", True))
    segments.append(("<|im_start|>assistant\n", True))
    return RenderedPrompt(tuple(segments))
