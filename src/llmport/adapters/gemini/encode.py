"""The body of ``streamGenerateContent`` (pure): a conversation as Gemini ``contents``.

- system messages become ``systemInstruction``; turns are ``user`` / ``model`` contents, and
  consecutive turns of one role are merged (Gemini expects them to alternate);
- user text and images (inline base64 data, or a URL as ``fileData``);
- a model turn from this wire is rebuilt **part for part** from its ``layout["parts"]`` record:
  each text, thought, function-call and server-side part where it was, every
  ``thoughtSignature`` back on the very part it came on (Gemini 3 rejects a turn whose
  signatures moved or went missing). A turn without that record (another provider's, or edited
  by hand) is sent as its text then its calls, each call with its own signature from
  ``ToolCall.provider_data`` when it has one;
- tool results become ``functionResponse`` parts in a user turn, addressed by name (from the
  result, or from the call it answers) and by the call's ``id`` when Gemini gave one.

``CallOptions`` go in ``generationConfig`` (``maxOutputTokens``, ``temperature``, ``topP``,
``stopSequences``, ``seed``, ``responseMimeType`` + ``responseJsonSchema``, ``thinkingConfig``:
a budget as ``thinkingBudget``, effort ``none`` as budget 0, other efforts as ``thinkingLevel``,
with ``includeThoughts``) and ``toolConfig.functionCallingConfig`` (``AUTO``, ``NONE``, ``ANY``,
or ``ANY`` with ``allowedFunctionNames``). ``parallel_tool_calls=False`` has no Gemini field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llmport.adapters.gemini.decode import PARTS, SIGNATURE
from llmport.adapters.gemini.errors import PROVIDER
from llmport.core.wire import WireRequest
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.options import CallOptions, unsupported_option
from llmport.domain.tools import ToolDefinition

__all__ = ["encode_contents", "encode_gemini", "encode_model_turn", "encode_tools"]

_LEVELS: Final = {"minimal": "minimal", "low": "low", "medium": "medium", "high": "high",
                  "xhigh": "high"}  # fmt: skip
_MODES: Final = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    url = part.url or ""
    head, sep, data = url.partition(",")
    if url.startswith("data:") and sep and head.endswith(";base64"):
        return {"inlineData": {"mimeType": head[5:].removesuffix(";base64"), "data": data}}
    return {"fileData": {"fileUri": url}}


def _user_parts(message: UserMessage) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": message.content}]
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part))
    return parts


def _call_part(call: ToolCall, signature: Any = None) -> dict[str, Any]:
    function: dict[str, Any] = {"name": call.name, "args": dict(call.arguments)}
    if not call.id.startswith("call_"):  # an id Gemini gave (ours are synthesised "call_N")
        function["id"] = call.id
    part: dict[str, Any] = {"functionCall": function}
    signature = signature or call.provider_data.get(SIGNATURE)
    if isinstance(signature, str):
        part[SIGNATURE] = signature
    return part


def _from_layout(message: AssistantMessage, records: Any) -> list[dict[str, Any]] | None:
    """The turn's parts as they came, or None when the message no longer matches its record."""
    if not isinstance(records, list):
        return None
    text, at = message.text, 0
    thoughts = [r for r in message.reasoning if r.provider == PROVIDER]
    thought_text = "".join(r.text for r in thoughts)
    thought_at = 0
    blocks = iter(message.provider_blocks)
    parts: list[dict[str, Any]] = []
    for record in records:
        if not isinstance(record, Mapping):
            return None
        kind = record.get("kind")
        part: dict[str, Any]
        if kind in ("text", "thought"):
            length = record.get("length")
            if not isinstance(length, int):
                return None
            if kind == "text":
                if at + length > len(text):
                    return None
                part, at = {"text": text[at : at + length]}, at + length
            else:
                if thought_at + length > len(thought_text):
                    return None
                piece = thought_text[thought_at : thought_at + length]
                part, thought_at = {"text": piece, "thought": True}, thought_at + length
        elif kind == "call":
            index = record.get("index")
            if not isinstance(index, int) or index >= len(message.tool_calls):
                return None
            part = _call_part(message.tool_calls[index], record.get(SIGNATURE))
            parts.append(part)
            continue
        elif kind == "block":
            block = next(blocks, None)
            if block is None or "groundingMetadata" in block:
                return None
            part = dict(block)
        else:
            return None
        if isinstance(record.get(SIGNATURE), str):
            part[SIGNATURE] = record[SIGNATURE]
        elif part == {"text": ""}:
            continue  # an empty, unsigned text part carries nothing (Gemini's own SDK drops it)
        parts.append(part)
    if at != len(text) or thought_at != len(thought_text):
        return None
    return parts


def encode_model_turn(message: AssistantMessage) -> list[dict[str, Any]]:
    """A model turn's parts (see the module docstring)."""
    exact = _from_layout(message, message.layout.get(PARTS))
    if exact is not None:
        return exact
    parts: list[dict[str, Any]] = [{"text": message.text}] if message.text else []
    parts.extend(_call_part(call) for call in message.tool_calls)
    return parts


def _response_part(message: ToolMessage, calls: Mapping[str, ToolCall]) -> dict[str, Any]:
    call = calls.get(message.tool_call_id)
    name = message.name or (call.name if call is not None else message.tool_call_id)
    try:
        value = json.loads(message.content)
    except ValueError:
        value = None
    key = "error" if message.is_error else "result"
    response = value if isinstance(value, dict) and not message.is_error else {key: message.content}
    function: dict[str, Any] = {"name": name, "response": response}
    if call is not None and not call.id.startswith("call_"):
        function["id"] = call.id
    return {"functionResponse": function}


def encode_contents(
    messages: Sequence[AgentMessage],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(systemInstruction, contents)`` for ``messages``."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    calls: dict[str, ToolCall] = {}

    def add(role: str, parts: list[dict[str, Any]]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for message in messages:
        if isinstance(message, SystemMessage):
            system.append(message.content)
        elif isinstance(message, UserMessage):
            add("user", _user_parts(message))
        elif isinstance(message, AssistantMessage):
            calls.update((c.id, c) for c in message.tool_calls)
            add("model", encode_model_turn(message))
        elif isinstance(message, ToolMessage):
            add("user", [_response_part(message, calls)])
        else:
            raise TypeError(f"not an AgentMessage: {type(message).__name__}")
    instruction = {"parts": [{"text": "\n\n".join(system)}]} if system else None
    return instruction, contents


def encode_tools(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    declarations = []
    for tool in tools:
        item: dict[str, Any] = {"name": tool.name, "parametersJsonSchema": dict(tool.parameters)}
        if tool.description:
            item["description"] = tool.description
        declarations.append(item)
    return [{"functionDeclarations": declarations}]


def _generation_config(options: CallOptions) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name, key in (("max_tokens", "maxOutputTokens"), ("temperature", "temperature"),
                      ("top_p", "topP"), ("seed", "seed")):  # fmt: skip
        value = getattr(options, name)
        if value is not None:
            config[key] = value
    if options.stop is not None:
        config["stopSequences"] = list(options.stop)
    if options.response_format is not None:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = dict(options.response_format)
    reasoning = options.reasoning
    if reasoning is not None:
        if reasoning.summary is not None:
            raise unsupported_option("reasoning.summary", "gemini")
        thinking: dict[str, Any] = {}
        if reasoning.budget_tokens is not None:
            thinking["thinkingBudget"] = reasoning.budget_tokens
        elif reasoning.effort == "none":
            thinking["thinkingBudget"] = 0
        elif reasoning.effort is not None:
            thinking["thinkingLevel"] = _LEVELS[reasoning.effort]
        if reasoning.effort != "none" and reasoning.budget_tokens != 0:
            thinking["includeThoughts"] = True
        config["thinkingConfig"] = thinking
    return config


def encode_gemini(request: WireRequest) -> dict[str, Any]:
    """The JSON body of a streamed ``generateContent`` request (pure)."""
    options: CallOptions = request.options
    if options.parallel_tool_calls is False:
        raise unsupported_option("parallel_tool_calls", "gemini")
    instruction, contents = encode_contents(request.messages)
    body: dict[str, Any] = {"contents": contents}
    if instruction is not None:
        body["systemInstruction"] = instruction
    if request.tools:
        body["tools"] = encode_tools(request.tools)
        mode = options.tool_choice_mode
        if mode is not None:
            calling: dict[str, Any] = {"mode": _MODES.get(mode, "ANY")}
            if mode == "tool":
                calling["allowedFunctionNames"] = [options.tool_choice]
            body["toolConfig"] = {"functionCallingConfig": calling}
    config = _generation_config(options)
    if config:
        body["generationConfig"] = config
    if options.extra_body:
        body.update(options.extra_body)
    return body
