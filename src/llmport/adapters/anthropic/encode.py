"""Messages, tools and settings -> an Anthropic Messages request body (pure).

Anthropic's request differs from OpenAI's in ways that matter for an agent loop:

- the system prompt is a top-level ``system`` field, not a message. Every ``SystemMessage``
  (wherever it sits in the conversation: Anthropic has no mid-conversation system role) becomes
  one text block of ``system``, in order;
- roles alternate ``user`` / ``assistant``. Tool results are ``tool_result`` blocks of a *user*
  turn, and all the results of one assistant turn must come in that one user turn, before any
  text: consecutive ``ToolMessage``\\ s, and a ``UserMessage`` right after them, are merged into
  one user turn (results first). Consecutive user or assistant messages are merged the same way;
- an assistant turn is sent back as Anthropic expects it on the next request: its ``thinking``
  blocks first, each with its ``signature`` exactly as it came (``redacted_thinking`` with its
  ``data``), then the server-side blocks it carried (``server_tool_use`` and their results,
  ``compaction``), in their original order, then its text, then its ``tool_use`` blocks.
  A turn streamed with server-side blocks carries the decoder's ``content_order`` record: it is
  then sent back block for block as it came (text between the server tool calls, citations on
  their text, a paused turn's pending ``server_tool_use`` last), unless the message no longer
  matches the record (edited by hand), when the grouped order above is used.

  Not sent back, by design: reasoning from another provider (its signature means nothing to
  Anthropic, and unsigned thinking is rejected), a thinking block whose signature never arrived
  (the stream was cut), server-side blocks the stream never closed, llmport's own metadata
  records, and provider blocks of types Anthropic does not define.
- a tool call is sent back with its parsed ``arguments`` as ``input`` (``{}`` for a call cut by
  a token limit: Anthropic requires every ``tool_use`` to be answered by a ``tool_result``, so
  the call is kept and the caller's error result pairs with it);
- ``max_tokens`` is required (default 4096); extended thinking needs ``max_tokens`` above its
  budget, which ``AnthropicSettings`` checks up front.

``extra_body`` is merged last, top level, for fields llmport does not model (``mcp_servers``,
``context_management``, ``cache_control`` ...); ``extra_tools`` adds raw tool objects (server
tools such as ``web_search_20250305``) after the function tools.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from llmport.adapters.anthropic.decode import CITATIONS, CONTENT_ORDER, INCOMPLETE_KEY
from llmport.adapters.anthropic.errors import PROVIDER
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AnthropicSettings",
    "ThinkingSetting",
    "ToolChoice",
    "encode_request",
]

DEFAULT_MAX_TOKENS: Final = 4096

ThinkingSetting: TypeAlias = int | Literal["adaptive"] | Mapping[str, Any] | None
"""``N`` -> ``{"type": "enabled", "budget_tokens": N}``; ``"adaptive"``; or a raw object."""

ToolChoice: TypeAlias = Literal["auto", "any", "none"] | str | Mapping[str, Any] | None
"""``"auto"`` / ``"any"`` / ``"none"``, a tool's name (forces that tool), or a raw object."""

# Server-side block types Anthropic accepts back in an assistant turn.
_SERVER_BLOCK_TYPES: Final = frozenset(
    {"server_tool_use", "mcp_tool_use", "mcp_tool_result", "compaction", "container_upload"}
)
_SERVER_RESULT_TYPE: Final = re.compile(r"[a-z_]+_tool_result")
# llmport's own records on a message (see decode.py): never sent as blocks.
_METADATA_TYPES: Final = frozenset({CITATIONS, CONTENT_ORDER})


@dataclass(frozen=True, slots=True)
class AnthropicSettings:
    """Generation settings of an Anthropic request (all optional but ``max_tokens``)."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    thinking: ThinkingSetting = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: Sequence[str] = ()
    tool_choice: ToolChoice = None
    parallel_tool_calls: bool | None = None
    metadata: Mapping[str, Any] | None = None
    extra_tools: Sequence[Mapping[str, Any]] = ()
    extra_body: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if type(self.max_tokens) is not int or self.max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, not {self.max_tokens!r}")
        thinking = self.thinking
        if isinstance(thinking, bool) or (
            thinking is not None
            and not isinstance(thinking, int | Mapping)
            and thinking != "adaptive"
        ):
            raise ValueError(
                "thinking must be a token budget (int), 'adaptive' or a raw thinking object, "
                f"not {thinking!r}"
            )
        if isinstance(thinking, int) and not 0 < thinking < self.max_tokens:
            raise ValueError(
                f"the thinking budget ({thinking}) must be positive and below max_tokens "
                f"({self.max_tokens}): Anthropic counts thinking inside max_tokens"
            )
        if isinstance(self.stop_sequences, str):
            raise ValueError("stop_sequences must be a sequence of strings, not one string")

    def thinking_object(self) -> dict[str, Any] | None:
        thinking = self.thinking
        if thinking is None:
            return None
        if isinstance(thinking, int):
            return {"type": "enabled", "budget_tokens": thinking}
        if isinstance(thinking, str):
            return {"type": thinking}
        return dict(thinking)


def encode_request(
    model: str,
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition] = (),
    settings: AnthropicSettings | None = None,
) -> dict[str, Any]:
    """The JSON body of a streaming ``POST /v1/messages``."""
    settings = settings or AnthropicSettings()
    system, turns = encode_messages(messages)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": settings.max_tokens,
        "messages": turns,
        "stream": True,
    }
    if system:
        body["system"] = system
    all_tools = [encode_tool(t) for t in tools] + [dict(t) for t in settings.extra_tools]
    if all_tools:
        body["tools"] = all_tools
    choice = encode_tool_choice(settings.tool_choice, settings.parallel_tool_calls)
    if choice is not None:
        body["tool_choice"] = choice
    thinking = settings.thinking_object()
    if thinking is not None:
        body["thinking"] = thinking
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.top_p is not None:
        body["top_p"] = settings.top_p
    if settings.top_k is not None:
        body["top_k"] = settings.top_k
    if settings.stop_sequences:
        body["stop_sequences"] = list(settings.stop_sequences)
    if settings.metadata is not None:
        body["metadata"] = dict(settings.metadata)
    body.update(settings.extra_body)
    return body


def encode_tool(tool: ToolDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["input_schema"] = dict(tool.parameters)
    return out


def encode_tool_choice(
    choice: ToolChoice, parallel_tool_calls: bool | None = None
) -> dict[str, Any] | None:
    out: dict[str, Any] | None
    if choice is None:
        out = None
    elif isinstance(choice, Mapping):
        out = dict(choice)
    elif choice in ("auto", "any", "none"):
        out = {"type": choice}
    else:
        out = {"type": "tool", "name": choice}
    if parallel_tool_calls is False:
        out = out or {"type": "auto"}
        if out.get("type") != "none":
            out["disable_parallel_tool_use"] = True
    return out


# --- messages --------------------------------------------------------------------------------


def encode_messages(
    messages: Sequence[AgentMessage],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``system`` blocks and the alternating ``messages`` turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            if message.content:
                system.append({"type": "text", "text": message.content})
            continue
        if isinstance(message, AssistantMessage):
            role, blocks = "assistant", encode_assistant(message)
        elif isinstance(message, ToolMessage):
            role, blocks = "user", [encode_tool_result(message)]
        elif isinstance(message, UserMessage):
            role, blocks = "user", encode_user(message)
        else:
            raise TypeError(f"not an AgentMessage: {type(message).__name__}")
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            previous: list[dict[str, Any]] = turns[-1]["content"]
            if role == "user" and blocks[0]["type"] == "tool_result":
                # Results answer the previous assistant turn: they go before any user text.
                at = sum(1 for b in previous if b["type"] == "tool_result")
                previous[at:at] = blocks
            else:
                previous.extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def encode_user(message: UserMessage) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}] if message.content else []
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append(encode_image(part))
        else:
            raise TypeError(f"not a user content part: {type(part).__name__}")
    return blocks


def encode_image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        source: dict[str, Any] = {
            "type": "base64",
            "media_type": part.media_type,
            "data": part.data,
        }
    else:
        url = part.url or ""
        if url.startswith("data:"):
            header, sep, data = url[5:].partition(",")
            media_type, _, encoding = header.partition(";")
            if not sep or encoding != "base64" or not media_type:
                raise ValueError("an image data: URL must be 'data:<media type>;base64,<data>'")
            source = {"type": "base64", "media_type": media_type, "data": data}
        else:
            source = {"type": "url", "url": url}
    return {"type": "image", "source": source}


def encode_tool_result(message: ToolMessage) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": message.tool_call_id,
        "content": message.content,
    }
    if message.is_error:
        block["is_error"] = True
    return block


def _is_server_block(block: Mapping[str, Any]) -> bool:
    kind = block.get("type")
    if not isinstance(kind, str) or block.get(INCOMPLETE_KEY):
        return False
    return kind in _SERVER_BLOCK_TYPES or _SERVER_RESULT_TYPE.fullmatch(kind) is not None


def _reasoning_block(part: ReasoningPart) -> dict[str, Any] | None:
    """The block for one reasoning part, or None when it must not go back (see above)."""
    if part.provider != PROVIDER:
        return None
    if part.encrypted and not part.text and not part.signature:
        return {"type": "redacted_thinking", "data": part.encrypted}
    if part.signature:
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    return None


def _tool_use(call: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}


def _layout(message: AssistantMessage) -> tuple[Any, dict[Any, Any]]:
    """The decoder's block order and citations: from ``layout``, or from the records older
    versions kept in ``provider_blocks`` (stored conversations stay readable)."""
    order: Any = message.layout.get(CONTENT_ORDER)
    cited: Any = message.layout.get(CITATIONS)
    if order is None:
        record = next((b for b in message.provider_blocks if b.get("type") == CONTENT_ORDER), None)
        order = record.get("blocks") if record is not None else None
    if cited is None:
        cited = [b for b in message.provider_blocks if b.get("type") == CITATIONS]
    citations = {
        c.get("index"): c.get("citations")
        for c in (cited if isinstance(cited, list) else ())
        if isinstance(c, Mapping)
    }
    return order, citations


def encode_assistant(message: AssistantMessage) -> list[dict[str, Any]]:
    order, citations = _layout(message)
    if order is not None:
        blocks = _in_recorded_order(message, order, citations)
        if blocks is not None:
            return blocks
    blocks = [b for b in map(_reasoning_block, message.reasoning) if b is not None]
    blocks.extend(dict(b) for b in message.provider_blocks if _is_server_block(b))
    if message.text:
        blocks.append({"type": "text", "text": message.text})
    blocks.extend(_tool_use(call) for call in message.tool_calls)
    return blocks


def _in_recorded_order(
    message: AssistantMessage, entries: Any, citations: Mapping[Any, Any]
) -> list[dict[str, Any]] | None:
    """The turn's blocks in the order the stream had them (the decoder's ``content_order``
    record), or None when the message no longer matches the record (edited, or built by hand):
    then the caller falls back to the grouped order."""
    if not isinstance(entries, list):
        return None
    reasoning = iter(message.reasoning)
    calls = iter(message.tool_calls)
    server = iter(b for b in message.provider_blocks if b.get("type") not in _METADATA_TYPES)
    text, at = message.text, 0
    blocks: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            return None
        kind = entry.get("type")
        if kind in ("thinking", "redacted_thinking"):
            part = next(reasoning, None)
            if part is None:
                return None
            block = _reasoning_block(part)
            if block is not None:
                blocks.append(block)
        elif kind == "text":
            length = entry.get("length")
            if not isinstance(length, int) or at + length > len(text):
                return None
            piece, at = text[at : at + length], at + length
            if piece:
                text_block: dict[str, Any] = {"type": "text", "text": piece}
                cited = citations.get(entry.get("index"))
                if cited:
                    text_block["citations"] = list(cited)
                blocks.append(text_block)
        elif kind == "tool_use":
            call = next(calls, None)
            if call is None or call.id != entry.get("id"):
                return None
            blocks.append(_tool_use(call))
        else:
            server_block = next(server, None)
            if server_block is None or server_block.get("type") != kind:
                return None
            if _is_server_block(server_block):
                blocks.append(dict(server_block))
    rest = (next(reasoning, None), next(calls, None), next(server, None))
    if at != len(text) or rest != (None, None, None):
        return None
    return blocks
