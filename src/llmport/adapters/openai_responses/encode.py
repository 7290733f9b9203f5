"""The body of ``POST {base_url}/responses`` (pure): a conversation as Responses input items.

- system messages become ``instructions``; user messages ``input_text`` / ``input_image`` parts;
- an assistant turn becomes its reasoning items first (only those this wire produced: they carry
  the item ``id`` and ``encrypted_content`` exactly as received, which is what lets a reasoning
  model keep its reasoning between turns without server-side state), then its text as an
  assistant message, then one ``function_call`` item per call (``call_id``, ``name``,
  ``arguments`` as JSON text, and the item ``id`` from ``ToolCall.provider_data``);
- a tool result becomes a ``function_call_output`` with the same ``call_id``;
- **stateless by default**: ``store: false`` and ``include: ["reasoning.encrypted_content"]``;
  ``previous_response_id`` (and ``store=True``) are opt-in wire settings.

``CallOptions``: ``max_tokens`` -> ``max_output_tokens``; ``temperature``, ``top_p``,
``parallel_tool_calls``; ``tool_choice`` ``"auto"``/``"none"``/``"required"`` or
``{"type": "function", "name": ...}``; ``reasoning`` -> ``{"effort", "summary"}``;
``response_format`` -> ``text.format`` (``json_schema``); ``stop``, ``seed`` and a reasoning
token budget have no Responses field: ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from llmport.core.wire import WireRequest
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from llmport.domain.options import CallOptions, unsupported_option
from llmport.domain.tools import ToolDefinition

__all__ = ["ITEM_ID", "ResponsesSettings", "encode_input", "encode_responses", "encode_tools"]

WIRE: Final = "openai-responses"
ITEM_ID: Final = "item_id"
"""The ``ToolCall.provider_data`` key holding a function call's item id (``fc_...``)."""


@dataclass(frozen=True, slots=True)
class ResponsesSettings:
    """The wire's own keywords: ``store`` (keep the response server-side; off by default),
    ``previous_response_id`` (continue a stored response instead of resending the history),
    ``include`` (extra output to include; encrypted reasoning is always asked for unless
    ``store`` is on) and ``service_tier``."""

    store: bool = False
    previous_response_id: str | None = None
    include: Sequence[str] = ()
    service_tier: str | None = None


def _user(message: UserMessage) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"type": "input_image", "image_url": part.as_data_url()})
    return {"role": "user", "content": parts}


def _assistant(message: AssistantMessage, provider: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for part in message.reasoning:
        if part.provider != provider or not part.id or part.encrypted is None:
            continue  # another provider's reasoning means nothing here
        summary = [{"type": "summary_text", "text": part.text}] if part.text else []
        items.append(
            {
                "type": "reasoning",
                "id": part.id,
                "encrypted_content": part.encrypted,
                "summary": summary,
            }
        )
    if message.text:
        items.append({"role": "assistant", "content": message.text})
    for call in message.tool_calls:
        item: dict[str, Any] = {
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": call.arguments_json(),
        }
        item_id = call.provider_data.get(ITEM_ID)
        if isinstance(item_id, str) and item_id:
            item["id"] = item_id
        items.append(item)
    return items


def encode_input(
    messages: Sequence[AgentMessage], provider: str = "openai"
) -> tuple[str | None, list[dict[str, Any]]]:
    """``(instructions, input items)`` for ``messages``."""
    system: list[str] = []
    items: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            system.append(message.content)
        elif isinstance(message, UserMessage):
            items.append(_user(message))
        elif isinstance(message, AssistantMessage):
            items.extend(_assistant(message, provider))
        elif isinstance(message, ToolMessage):
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": message.content,
                }
            )
        else:
            raise TypeError(f"not an AgentMessage: {type(message).__name__}")
    return ("\n\n".join(system) if system else None), items


def encode_tools(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    """Function tools, flat (Responses puts ``name`` and ``parameters`` on the tool itself)."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        item: dict[str, Any] = {
            "type": "function",
            "name": tool.name,
            "parameters": dict(tool.parameters),
        }
        if tool.description:
            item["description"] = tool.description
        if tool.strict is not None:
            item["strict"] = tool.strict
        out.append(item)
    return out


def _text_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    if schema.get("type") in ("json_schema", "json_object", "text"):
        return dict(schema)  # already the Responses shape
    title = schema.get("title")
    name = title if isinstance(title, str) and title.isidentifier() else "response"
    return {"type": "json_schema", "name": name, "schema": dict(schema)}


def _options(options: CallOptions, body: dict[str, Any], has_tools: bool) -> None:
    if options.stop is not None:
        raise unsupported_option("stop", WIRE)
    if options.seed is not None:
        raise unsupported_option("seed", WIRE)
    if options.max_tokens is not None:
        body["max_output_tokens"] = options.max_tokens
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.top_p is not None:
        body["top_p"] = options.top_p
    if has_tools and options.tool_choice is not None:
        mode = options.tool_choice_mode
        body["tool_choice"] = (
            {"type": "function", "name": options.tool_choice} if mode == "tool" else mode
        )
    if has_tools and options.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = options.parallel_tool_calls
    reasoning = options.reasoning
    if reasoning is not None:
        if reasoning.budget_tokens is not None:
            raise unsupported_option("reasoning.budget_tokens", WIRE, "use an effort level")
        config: dict[str, Any] = {}
        if reasoning.effort is not None:
            config["effort"] = reasoning.effort
        if reasoning.summary is not None:
            config["summary"] = reasoning.summary
        body["reasoning"] = config
    if options.response_format is not None:
        body["text"] = {"format": _text_format(options.response_format)}


def encode_responses(request: WireRequest) -> dict[str, Any]:
    """The JSON body of a streaming ``POST /responses`` (pure)."""
    settings: ResponsesSettings = request.settings
    instructions, items = encode_input(request.messages, request.provider)
    body: dict[str, Any] = {"model": request.model, "input": items, "stream": True}
    if instructions is not None:
        body["instructions"] = instructions
    body["store"] = settings.store
    include = list(settings.include)
    if not settings.store and "reasoning.encrypted_content" not in include:
        include.insert(0, "reasoning.encrypted_content")
    if include:
        body["include"] = include
    if settings.previous_response_id is not None:
        body["previous_response_id"] = settings.previous_response_id
    if settings.service_tier is not None:
        body["service_tier"] = settings.service_tier
    if request.tools:
        body["tools"] = encode_tools(request.tools)
    _options(request.options, body, bool(request.tools))
    if request.options.extra_body:
        body.update(request.options.extra_body)
    return body
