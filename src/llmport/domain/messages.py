"""The conversation: what the user, the model and the tools said.

Plain frozen dataclasses, stdlib only, so that every layer (adapters, the agent loop, a user's
storage) can share them without pulling anything in. ``message_to_dict`` / ``message_from_dict``
give every message a stable JSON shape so conversations can be stored and resumed with any model.

Reasoning parts keep the provider's opaque data (an Anthropic ``signature``, a redacted block's
``data``, a Responses item's ``encrypted_content``) byte for byte: the next turn must send them
back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

__all__ = [
    "AgentMessage",
    "AssistantMessage",
    "ImagePart",
    "ReasoningPart",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolMessage",
    "UserMessage",
    "UserPart",
    "message_from_dict",
    "message_to_dict",
    "messages_from_json",
    "messages_to_json",
]


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text inside a multi-part user message."""

    text: str
    type: Literal["text"] = field(default="text", init=False, repr=False)


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image: either a URL (``https:`` or ``data:``) or base64 ``data`` with its media type."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    type: Literal["image"] = field(default="image", init=False, repr=False)

    def __post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise ValueError("ImagePart needs exactly one of url= or data=")
        if self.data is not None and not self.media_type:
            raise ValueError("ImagePart(data=...) needs media_type= (e.g. 'image/png')")
        if self.url is not None and not self.url.strip():
            raise ValueError("ImagePart(url=...) needs a non-empty URL")

    def as_data_url(self) -> str:
        """The image as a URL: its own URL, or a ``data:`` URL built from the base64 data."""
        if self.url is not None:
            return self.url
        return f"data:{self.media_type};base64,{self.data}"


UserPart: TypeAlias = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """Instructions for the model."""

    content: str
    role: Literal["system"] = field(default="system", init=False, repr=False)


@dataclass(frozen=True, slots=True)
class UserMessage:
    """What the user said: text, or a sequence of text and image parts."""

    content: str | tuple[UserPart, ...]
    role: Literal["user"] = field(default="user", init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.content, str):
            object.__setattr__(self, "content", tuple(self.content))

    @property
    def text(self) -> str:
        """The text of the message, parts joined (images left out)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model made.

    ``arguments`` is the parsed JSON object. When the model's argument text did not parse (or was
    cut by a token limit) ``complete`` is False, ``arguments`` is empty and ``raw_arguments``
    keeps the text as it came; such a call must never be executed.

    ``provider_data`` is opaque, JSON-serialisable data the provider needs back with this call
    on the next turn (Gemini's ``thoughtSignature`` on the function-call part, a Responses item
    id); the adapter that produced it reads it, nothing else interprets it.
    """

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None
    complete: bool = True
    provider_data: Mapping[str, Any] = field(default_factory=dict)

    def arguments_json(self) -> str:
        """The arguments as JSON text, as they go back to the provider on the next turn."""
        if not self.complete and self.raw_arguments is not None:
            return self.raw_arguments
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``ToolCall.from_dict`` reverses it exactly."""
        return _drop_none(
            {
                "id": self.id,
                "name": self.name,
                "arguments": dict(self.arguments),
                "raw_arguments": self.raw_arguments,
                "complete": None if self.complete else False,
                "provider_data": dict(self.provider_data) if self.provider_data else None,
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        return _tool_call_from_dict(data)


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """One block of model reasoning, with the provider's opaque data kept for the next turn.

    ``signature``: Anthropic's thinking signature or Gemini's thought signature.
    ``encrypted``: Anthropic ``redacted_thinking`` data or OpenAI ``encrypted_content``.
    ``id``: the provider's id for the item (OpenAI Responses reasoning items).
    ``provider``: which adapter produced it, so another provider's opaque data is not sent back.
    """

    text: str = ""
    signature: str | None = None
    encrypted: str | None = None
    id: str | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    """What the model said in one turn.

    ``refusal`` holds a refusal the provider marked as such (its text is in ``text`` too).
    ``provider_blocks`` keeps provider-side content that is not ours to interpret (Anthropic
    server tool blocks, Gemini executable code, Responses built-in tool items ...), as JSON
    objects. ``layout`` is what the producing adapter needs to send the turn back exactly as it
    came, beyond the parts above (Anthropic: the order of its content blocks and the citations
    on its text blocks); opaque and JSON-serialisable, read only by that adapter.
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: tuple[ReasoningPart, ...] = ()
    refusal: str | None = None
    provider_blocks: tuple[Mapping[str, Any], ...] = ()
    layout: Mapping[str, Any] = field(default_factory=dict)
    role: Literal["assistant"] = field(default="assistant", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        object.__setattr__(self, "reasoning", tuple(self.reasoning))
        object.__setattr__(self, "provider_blocks", tuple(self.provider_blocks))


@dataclass(frozen=True, slots=True)
class ToolMessage:
    """A tool's result for the call ``tool_call_id``; ``is_error`` marks a failed call.

    ``name`` is the tool's name: Gemini and Ollama address results by name rather than id.
    """

    tool_call_id: str
    content: str
    is_error: bool = False
    name: str | None = None
    role: Literal["tool"] = field(default="tool", init=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``ToolMessage.from_dict`` reverses it exactly."""
        return message_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolMessage:
        message = message_from_dict({"role": "tool", **data})
        assert isinstance(message, ToolMessage)
        return message


AgentMessage: TypeAlias = SystemMessage | UserMessage | AssistantMessage | ToolMessage


# --- JSON round trip ---------------------------------------------------------------------------


def _part_to_dict(part: UserPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    out: dict[str, Any] = {"type": "image"}
    if part.url is not None:
        out["url"] = part.url
    else:
        out["data"] = part.data
        out["media_type"] = part.media_type
    return out


def _part_from_dict(data: object) -> UserPart:
    data = _object(data, "a user content part")
    kind = data.get("type")
    if kind == "text":
        return TextPart(_str(data, "text"))
    if kind == "image":
        return ImagePart(
            url=_opt_str(data, "url"),
            data=_opt_str(data, "data"),
            media_type=_opt_str(data, "media_type"),
        )
    raise ValueError(f"unknown user content part type {kind!r}")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def message_to_dict(message: AgentMessage) -> dict[str, Any]:
    """A JSON-ready dict for ``message``; ``message_from_dict`` reverses it exactly."""
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": message.content}
    if isinstance(message, UserMessage):
        content: Any = (
            message.content
            if isinstance(message.content, str)
            else [_part_to_dict(p) for p in message.content]
        )
        return {"role": "user", "content": content}
    if isinstance(message, AssistantMessage):
        out: dict[str, Any] = {"role": "assistant", "text": message.text}
        if message.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in message.tool_calls]
        if message.reasoning:
            out["reasoning"] = [
                _drop_none(
                    {
                        "text": r.text,
                        "signature": r.signature,
                        "encrypted": r.encrypted,
                        "id": r.id,
                        "provider": r.provider,
                    }
                )
                for r in message.reasoning
            ]
        if message.refusal is not None:
            out["refusal"] = message.refusal
        if message.provider_blocks:
            out["provider_blocks"] = [dict(b) for b in message.provider_blocks]
        if message.layout:
            out["layout"] = dict(message.layout)
        return out
    if isinstance(message, ToolMessage):
        return _drop_none(
            {
                "role": "tool",
                "tool_call_id": message.tool_call_id,
                "content": message.content,
                "is_error": message.is_error or None,
                "name": message.name,
            }
        )
    raise TypeError(f"not an AgentMessage: {type(message).__name__}")


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple):
        raise ValueError(f"field {key!r} must be a list, not {type(value).__name__}")
    return list(value)


def _str(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string or absent")
    return value


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"field {key!r} must be true or false")
    return value


def _tool_call_from_dict(data: object) -> ToolCall:
    data = _object(data, "a tool call")
    arguments = data.get("arguments")
    return ToolCall(
        id=_str(data, "id"),
        name=_str(data, "name"),
        arguments=dict(_object(arguments, "tool call arguments")) if arguments is not None else {},
        raw_arguments=_opt_str(data, "raw_arguments"),
        complete=_bool(data, "complete", True),
        provider_data=dict(_object(data.get("provider_data", {}), "tool call provider_data")),
    )


def _reasoning_from_dict(data: object) -> ReasoningPart:
    data = _object(data, "a reasoning part")
    return ReasoningPart(
        text=_str(data, "text", ""),
        signature=_opt_str(data, "signature"),
        encrypted=_opt_str(data, "encrypted"),
        id=_opt_str(data, "id"),
        provider=_opt_str(data, "provider"),
    )


def message_from_dict(data: Mapping[str, Any]) -> AgentMessage:
    """Rebuild a message from ``message_to_dict`` output; a clear ``ValueError`` otherwise."""
    data = _object(data, "a message")
    role = data.get("role")
    if role == "system":
        return SystemMessage(_str(data, "content"))
    if role == "user":
        content = data.get("content")
        if isinstance(content, str):
            return UserMessage(content)
        if isinstance(content, list):
            return UserMessage(tuple(_part_from_dict(p) for p in content))
        raise ValueError("user message content must be a string or a list of parts")
    if role == "assistant":
        return AssistantMessage(
            text=_str(data, "text", ""),
            tool_calls=tuple(_tool_call_from_dict(c) for c in _list(data, "tool_calls")),
            reasoning=tuple(_reasoning_from_dict(r) for r in _list(data, "reasoning")),
            refusal=_opt_str(data, "refusal"),
            provider_blocks=tuple(
                dict(_object(b, "a provider block")) for b in _list(data, "provider_blocks")
            ),
            layout=dict(_object(data.get("layout", {}), "an assistant message layout")),
        )
    if role == "tool":
        return ToolMessage(
            tool_call_id=_str(data, "tool_call_id"),
            content=_str(data, "content"),
            is_error=_bool(data, "is_error", False),
            name=_opt_str(data, "name"),
        )
    raise ValueError(f"unknown message role {role!r}")


def messages_to_json(messages: Sequence[AgentMessage]) -> str:
    """A conversation as JSON text."""
    return json.dumps([message_to_dict(m) for m in messages], ensure_ascii=False)


def messages_from_json(text: str) -> list[AgentMessage]:
    """A conversation back from ``messages_to_json`` text."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("a stored conversation must be a JSON list of messages")
    return [message_from_dict(m) for m in data]
