"""LangChain messages and tools in, llmport's domain out (pure functions, no I/O).

Only what a port can carry crosses: text, images (``image_url`` / ``image`` blocks, by URL or
base64), tool calls and results, reasoning text. Anything else (files, audio, video, a
``ChatMessage`` with an unknown role) is a ``ValueError`` naming it, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.utils.function_calling import convert_to_openai_tool

from llmport.domain import messages as lp
from llmport.domain.tools import ToolDefinition

__all__ = ["to_messages", "to_tool_choice", "to_tools"]

_DATA_URL = re.compile(r"^data:(?P<type>[\w/+.-]+);base64,(?P<data>.*)$", re.DOTALL)


def _unsupported(block: Mapping[str, Any], where: str) -> ValueError:
    return ValueError(
        f"llmport cannot send a {block.get('type')!r} content block in {where} "
        "(text, images, tool calls and results only)"
    )


def _image(block: Mapping[str, Any]) -> lp.ImagePart:
    if block.get("type") == "image_url":
        value = block.get("image_url")
        url = value.get("url") if isinstance(value, Mapping) else value
    else:
        url = block.get("url")
        data = block.get("base64") or block.get("data")
        if data and not url:
            mime = block.get("mime_type") or block.get("media_type") or "image/png"
            return lp.ImagePart(data=str(data), media_type=str(mime))
    if not isinstance(url, str) or not url:
        raise ValueError("an image content block needs a URL or base64 data")
    match = _DATA_URL.match(url)
    if match:
        return lp.ImagePart(data=match["data"], media_type=match["type"])
    return lp.ImagePart(url=url)


def _text(content: str | list[Any], where: str, *, skip: frozenset[str] = frozenset()) -> str:
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, Mapping):
            kind = block.get("type")
            if kind == "text":
                parts.append(str(block.get("text", "")))
            elif kind not in skip:
                raise _unsupported(block, where)
    return "".join(parts)


def _user(message: BaseMessage) -> lp.UserMessage:
    content = message.content
    if isinstance(content, str):
        return lp.UserMessage(content)
    parts: list[lp.UserPart] = []
    for block in content:
        if isinstance(block, str):
            parts.append(lp.TextPart(block))
        elif block.get("type") == "text":
            parts.append(lp.TextPart(str(block.get("text", ""))))
        elif block.get("type") in ("image_url", "image"):
            parts.append(_image(block))
        else:
            raise _unsupported(block, "a user message")
    if all(isinstance(p, lp.TextPart) for p in parts):
        return lp.UserMessage("".join(p.text for p in parts if isinstance(p, lp.TextPart)))
    return lp.UserMessage(tuple(parts))


# AIMessage content blocks that repeat what ``tool_calls`` / reasoning already carry.
_AI_SKIP = frozenset({"tool_use", "tool_call", "function_call", "thinking", "reasoning"})


def _reasoning(message: AIMessage) -> tuple[lp.ReasoningPart, ...]:
    found: list[lp.ReasoningPart] = []
    if isinstance(message.content, list):
        for block in message.content:
            if isinstance(block, Mapping) and block.get("type") in ("thinking", "reasoning"):
                text = block.get("thinking") or block.get("reasoning") or ""
                found.append(lp.ReasoningPart(text=str(text), signature=block.get("signature")))
    extra = message.additional_kwargs.get("reasoning_content")
    if not found and isinstance(extra, str) and extra:
        found.append(lp.ReasoningPart(text=extra))
    return tuple(found)


def _assistant(message: AIMessage) -> lp.AssistantMessage:
    calls = tuple(
        lp.ToolCall(id=call.get("id") or f"call_{i}", name=call["name"], arguments=call["args"])
        for i, call in enumerate(message.tool_calls)
    )
    return lp.AssistantMessage(
        text=_text(message.content, "an AI message", skip=_AI_SKIP),
        tool_calls=calls,
        reasoning=_reasoning(message),
    )


def _tool(message: ToolMessage) -> lp.ToolMessage:
    return lp.ToolMessage(
        tool_call_id=message.tool_call_id,
        content=_text(message.content, "a tool message"),
        is_error=message.status == "error",
        name=message.name,
    )


def to_messages(messages: Sequence[BaseMessage]) -> list[lp.AgentMessage]:
    """LangChain messages as llmport messages."""
    out: list[lp.AgentMessage] = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else None
        if isinstance(message, SystemMessage) or role == "system":
            out.append(lp.SystemMessage(_text(message.content, "a system message")))
        elif isinstance(message, HumanMessage) or role == "user":
            out.append(_user(message))
        elif isinstance(message, AIMessage):
            out.append(_assistant(message))
        elif role == "assistant":
            out.append(lp.AssistantMessage(text=_text(message.content, "an assistant message")))
        elif isinstance(message, ToolMessage):
            out.append(_tool(message))
        else:
            raise ValueError(f"llmport cannot send a {type(message).__name__} (role {role!r})")
    return out


def to_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[ToolDefinition]:
    """LangChain tools (BaseTool, functions, pydantic models, dicts) as ``ToolDefinition``s."""
    out: list[ToolDefinition] = []
    for item in tools:
        if isinstance(item, ToolDefinition):
            out.append(item)
            continue
        function = convert_to_openai_tool(item, strict=strict)["function"]
        parameters = dict(function.get("parameters") or {"type": "object", "properties": {}})
        parameters.setdefault("type", "object")
        parameters.setdefault("properties", {})
        out.append(
            ToolDefinition(
                name=function["name"],
                description=function.get("description", ""),
                parameters=parameters,
                strict=function.get("strict", strict),
            )
        )
    return out


def to_tool_choice(choice: Any) -> str | None:
    """LangChain's ``tool_choice`` as ``CallOptions.tool_choice``."""
    if choice is None or choice is False:
        return None
    if choice is True or choice in ("any", "required"):
        return "required"
    if isinstance(choice, str):
        return choice  # "auto", "none" or a tool name
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if isinstance(name, str) and name:
            return name
    raise ValueError(f"unsupported tool_choice {choice!r}")
