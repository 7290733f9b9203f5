"""The OpenAI Chat Completions wire, sans-IO: the request encoder, the chunk decoder and the
error mapping, shared by every OpenAI-compatible server (OpenAI, Groq, DeepSeek, OpenRouter,
Mistral, xAI, Together, llama.cpp, vLLM, LM Studio, Ollama's ``/v1`` ...).

Decoding rules, from the recorded streams of ``../shared/streams``:

- ``data: [DONE]`` is the end marker. A clean EOF right after a ``finish_reason`` (Perplexity
  never sends ``[DONE]``) also ends the turn; any other EOF is a truncated stream.
- ``{"error": ...}`` in a chunk (OpenRouter sends one after ``finish_reason: length``, then
  ``[DONE]``) or an ``event: error`` (Groq) is an in-band error, whatever follows it.
- Only choice ``index`` 0 is streamed: with ``n > 1`` the other choices are ignored (a port
  yields one message per turn).
- ``delta.content`` is a string, or a list of typed parts (Mistral: ``text`` and ``thinking``).
  ``delta.refusal`` is refusal text. Reasoning comes as ``reasoning_content`` (DeepSeek,
  llama.cpp, Z.ai), ``reasoning`` (Groq, OpenRouter) or only ``reasoning_details``
  (Snowflake); ``reasoning_details`` also carries encrypted reasoning and signatures.
- Tool-call fragments are passed on as they come; the shared assembler copes with duplicate,
  empty and repeated ids (OpenRouter/kimi sends the same call twice).
- Usage may come in an empty-``choices`` chunk, on the finish chunk, or in ``x_groq.usage``;
  ``prompt_tokens_details.cached_tokens`` (or DeepSeek's ``prompt_cache_hit_tokens``) and
  ``completion_tokens_details.reasoning_tokens`` are kept. Unknown fields (``obfuscation``,
  ``p`` padding, ``timings``, ``citations``, Azure filter results ...) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llmport.core.decoding import parse_json
from llmport.core.errors_map import (
    RETRYABLE_CATEGORIES,
    HttpErrorInfo,
    category_for_status,
    error_for_status,
    short_message,
)
from llmport.core.raw import END, Finish, RawEvent, RefusalDelta, ResponseInfo
from llmport.domain.errors import (
    ErrorCategory,
    LlmError,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage
from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition

__all__ = [
    "OpenAIChatDecoder",
    "classify_error",
    "encode_messages",
    "encode_tool_choice",
    "encode_tools",
    "map_finish_reason",
    "openai_error_mapper",
]

_loads = parse_json

_FINISH: Final[dict[str, FinishReason]] = {
    "stop": FinishReason.STOP,
    "eos": FinishReason.STOP,
    "eos_token": FinishReason.STOP,
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "max_tokens": FinishReason.LENGTH,
    "model_length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "tool_use": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
    "model_context_window_exceeded": FinishReason.CONTEXT_WINDOW,
}


def map_finish_reason(raw: str) -> FinishReason:
    """OpenAI-compatible ``finish_reason`` to the normalised reason (unknown: ``OTHER``)."""
    return _FINISH.get(raw, FinishReason.OTHER)


# --- encoding ------------------------------------------------------------------------------------


def _user_content(message: UserMessage) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"type": "image_url", "image_url": {"url": part.as_data_url()}})
    return parts


def encode_messages(messages: Sequence[AgentMessage]) -> list[dict[str, Any]]:
    """The ``messages`` array. Reasoning is not sent back (most servers reject or ignore it)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            out.append({"role": "user", "content": _user_content(message)})
        elif isinstance(message, AssistantMessage):
            # content is always a string: "" next to tool calls is accepted everywhere, while
            # null or a missing content breaks some servers (llama-cpp-python's templates).
            item: dict[str, Any] = {"role": "assistant", "content": message.text}
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments_json()},
                    }
                    for call in message.tool_calls
                ]
            out.append(item)
        elif isinstance(message, ToolMessage):
            out.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        else:
            raise TypeError(f"not an AgentMessage: {type(message).__name__}")
    return out


def encode_tools(tools: Sequence[ToolDefinition]) -> list[dict[str, Any]]:
    """The ``tools`` array (function tools with their JSON Schema; ``strict`` when set)."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name, "parameters": dict(tool.parameters)}
        if tool.description:
            function["description"] = tool.description
        if tool.strict is not None:
            function["strict"] = tool.strict
        out.append({"type": "function", "function": function})
    return out


def encode_tool_choice(choice: str | Mapping[str, Any]) -> str | dict[str, Any]:
    """``"auto"``, ``"none"``, ``"required"`` (Mistral: ``"any"``), a tool's name (forces that
    tool), or a raw dict."""
    if isinstance(choice, Mapping):
        return dict(choice)
    if choice in ("auto", "none", "required", "any"):
        return choice
    return {"type": "function", "function": {"name": choice}}


# --- errors --------------------------------------------------------------------------------------

_CODE_CATEGORY: Final[dict[str, ErrorCategory]] = {
    "context_length_exceeded": ErrorCategory.CONTEXT_LENGTH,
    "string_above_max_length": ErrorCategory.CONTEXT_LENGTH,
    "insufficient_quota": ErrorCategory.QUOTA,
    "billing_hard_limit_reached": ErrorCategory.QUOTA,
    "rate_limit_exceeded": ErrorCategory.RATE_LIMIT,
    "rate_limit_error": ErrorCategory.RATE_LIMIT,
    "tokens": ErrorCategory.RATE_LIMIT,
    "requests": ErrorCategory.RATE_LIMIT,
    "server_is_overloaded": ErrorCategory.OVERLOADED,
    "overloaded": ErrorCategory.OVERLOADED,
    "overloaded_error": ErrorCategory.OVERLOADED,
    "slow_down": ErrorCategory.OVERLOADED,
    "server_error": ErrorCategory.SERVER,
    "internal_error": ErrorCategory.SERVER,
    "api_error": ErrorCategory.SERVER,
    "invalid_api_key": ErrorCategory.AUTHENTICATION,
    "authentication_error": ErrorCategory.AUTHENTICATION,
    "permission_error": ErrorCategory.PERMISSION,
    "model_not_found": ErrorCategory.NOT_FOUND,
    "not_found_error": ErrorCategory.NOT_FOUND,
    "content_filter": ErrorCategory.CONTENT_POLICY,
    "content_policy_violation": ErrorCategory.CONTENT_POLICY,
    "invalid_request_error": ErrorCategory.BAD_REQUEST,
    "tool_use_failed": ErrorCategory.BAD_REQUEST,
}

_CONTEXT_WORDS: Final = (
    "maximum context length",
    "context length",
    "context window",
    "context size",
    "too many tokens",
    "prompt is too long",
)


def classify_error(
    error: Any, status: int | None = None
) -> tuple[ErrorCategory | None, str | None, str]:
    """``(category, code, message)`` of an OpenAI-style error object (or a bare string)."""
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, Mapping):
        return None, None, ""
    message = short_message(error.get("message"))
    code = error.get("code")
    kind = error.get("type")
    category: ErrorCategory | None = None
    for key in (code, kind):
        if isinstance(key, str) and key in _CODE_CATEGORY:
            category = _CODE_CATEGORY[key]
            break
    numeric = code if isinstance(code, int) else error.get("status_code")
    if category is None and isinstance(numeric, int) and numeric >= 400:
        category = category_for_status(numeric)
    lowered = message.lower()
    if category in (None, ErrorCategory.BAD_REQUEST) and any(w in lowered for w in _CONTEXT_WORDS):
        category = ErrorCategory.CONTEXT_LENGTH
    if category is None and status is not None:
        category = category_for_status(status)
    code_text = code if isinstance(code, str) else (kind if isinstance(kind, str) else None)
    return category, code_text, message


def openai_error_mapper(info: HttpErrorInfo) -> LlmError:
    """HTTP error responses of OpenAI-compatible servers to typed errors."""
    body = info.json()
    error: Any = None
    if isinstance(body, Mapping):
        error = body.get("error", body)
    elif isinstance(body, list) and body and isinstance(body[0], Mapping):
        error = body[0].get("error", body[0])  # some gateways wrap errors in a list
    category, code, message = classify_error(error, info.status_code)
    by_status = category_for_status(info.status_code)
    if category is None or (
        # A generic body type (OpenAI sends invalid_request_error with 403 and 404 too) does
        # not override what the status says; only a specific one refines it.
        category is ErrorCategory.BAD_REQUEST and by_status is not ErrorCategory.BAD_REQUEST
    ):
        category = by_status
    return error_for_status(
        info.status_code,
        provider=info.provider,
        category=category,
        detail=message,
        code=code,
        retryable=False if category is ErrorCategory.QUOTA else None,
        request_id=info.request_id,
    )


def _in_band(error: Any, provider: str | None) -> StreamInBandError:
    category, code, message = classify_error(error)
    category = category or ErrorCategory.UNKNOWN
    text = (
        f"the provider reported an error in the stream: {message}"
        if message
        else ("the provider reported an error in the stream")
    )
    return StreamInBandError(
        text,
        in_band_category=category,
        provider=provider,
        retryable=category in RETRYABLE_CATEGORIES,
        code=code,
    )


# --- decoding ------------------------------------------------------------------------------------


def _usage(data: Mapping[str, Any]) -> Usage:
    prompt = data.get("prompt_tokens") or 0
    completion = data.get("completion_tokens") or 0
    cached = 0
    details = data.get("prompt_tokens_details")
    if isinstance(details, Mapping):
        cached = details.get("cached_tokens") or 0
    if not cached:
        cached = data.get("prompt_cache_hit_tokens") or 0
    reasoning = 0
    details = data.get("completion_tokens_details")
    if isinstance(details, Mapping):
        reasoning = details.get("reasoning_tokens") or 0
    return Usage(int(prompt), int(completion), int(cached), int(reasoning))


class OpenAIChatDecoder:
    """Decodes one Chat Completions SSE body (a ``StreamDecoder``)."""

    __slots__ = ("_done", "_events", "_finished", "_info_sent", "_provider")

    def __init__(self, *, provider: str | None = None) -> None:
        self._provider = provider
        self._done = False
        self._finished = False  # a finish_reason arrived (and no content after it)
        self._info_sent = False
        self._events = 0

    def feed(self, event: str, data: str) -> list[RawEvent]:
        self._events += 1
        if self._done:
            return []
        if event and event != "message":
            if event == "error":
                try:
                    body: Any = _loads(data)
                except ValueError:
                    body = {"message": data}
                if isinstance(body, dict):
                    body = body.get("error", body)
                raise _in_band(body, self._provider)
            return []  # an unknown named event: ignored
        if data == "[DONE]":
            self._done = True
            return [END]
        try:
            chunk = _loads(data)
        except ValueError as bad:
            position = getattr(bad, "pos", None)
            raise StreamProtocolError(
                f"invalid JSON in SSE event {self._events} at offset {position} of its data",
                provider=self._provider,
            ) from None
        if type(chunk) is not dict:
            raise StreamProtocolError(
                f"SSE event {self._events} is not a JSON object", provider=self._provider
            )
        error = chunk.get("error")
        if error:
            raise _in_band(error, self._provider)
        out: list[RawEvent] = []
        if not self._info_sent:
            response_id = chunk.get("id") or None
            model = chunk.get("model") or None
            if response_id or model:
                self._info_sent = True
                out.append(ResponseInfo(response_id, model))
        choices = chunk.get("choices")
        if choices:
            for choice in choices:
                if choice.get("index") or 0:
                    continue  # n > 1: only the first choice is streamed
                delta = choice.get("delta")
                if delta:
                    self._delta(delta, out)
                reason = choice.get("finish_reason")
                if reason:
                    out.append(Finish(map_finish_reason(reason), reason))
                    self._finished = True
        usage = chunk.get("usage")
        if not usage:
            extra = chunk.get("x_groq")
            if extra:
                usage = extra.get("usage")
        if usage:
            out.append(_usage(usage))
        return out

    def _delta(self, delta: Mapping[str, Any], out: list[RawEvent]) -> None:
        get = delta.get
        text = None
        reasoning = get("reasoning_content") or get("reasoning")
        if reasoning and isinstance(reasoning, str):
            out.append(ReasoningDelta(reasoning))
            self._finished = False
        details = get("reasoning_details")
        if details:
            self._reasoning_details(details, out, with_text=not reasoning)
        content = get("content")
        if content:
            if type(content) is str:
                text = content
            else:
                self._content_parts(content, out)
        if text:
            out.append(TextDelta(text))
            self._finished = False
        refusal = get("refusal")
        if refusal:
            out.append(RefusalDelta(refusal))
            self._finished = False
        calls = get("tool_calls")
        if calls:
            for position, call in enumerate(calls):
                function = call.get("function") or {}
                arguments = function.get("arguments")
                if arguments is None:
                    arguments = ""
                elif not isinstance(arguments, str):
                    arguments = json.dumps(arguments, ensure_ascii=False)
                index = call.get("index")
                out.append(
                    ToolCallDelta(
                        position if index is None else index,
                        call.get("id") or None,
                        function.get("name") or None,
                        arguments,
                    )
                )
            self._finished = False

    def _content_parts(self, parts: Any, out: list[RawEvent]) -> None:
        if not isinstance(parts, list):
            return
        for part in parts:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind == "text" and part.get("text"):
                out.append(TextDelta(part["text"]))
                self._finished = False
            elif kind == "thinking":
                inner = part.get("thinking")
                pieces = inner if isinstance(inner, list) else [{"text": inner}]
                for piece in pieces:
                    value = piece.get("text") if isinstance(piece, Mapping) else None
                    if isinstance(value, str) and value:
                        out.append(ReasoningDelta(value))
                        self._finished = False

    def _reasoning_details(self, details: Any, out: list[RawEvent], *, with_text: bool) -> None:
        if not isinstance(details, list):
            return
        for item in details:
            if not isinstance(item, Mapping):
                continue
            kind = item.get("type")
            if kind == "reasoning.encrypted" and item.get("data"):
                out.append(ReasoningDelta(encrypted=item["data"], id=item.get("id") or None))
            elif kind in ("reasoning.text", "reasoning.summary"):
                text = str(item.get("text") or item.get("summary") or "")
                signature = item.get("signature") or None
                if (with_text and text) or signature:
                    out.append(ReasoningDelta(text if with_text else "", signature=signature))

    def eof(self) -> list[RawEvent]:
        if self._done:
            return []
        if self._finished:
            return [END]  # servers that omit [DONE] after the finish chunk (Perplexity)
        raise StreamTruncatedError(
            "the stream ended without [DONE] or a finish_reason", provider=self._provider
        )
