"""Gemini's ``streamGenerateContent`` body, sans-IO: one chunk (an SSE event, or one element of
the JSON array streamed without ``alt=sse``) in, ``RawEvent`` items out.

Rules, from the 17 recorded streams of ``../shared/streams/gemini`` and the API reference:

- each chunk is a ``GenerateContentResponse``; only candidate 0 is read. Parts: ``text`` is
  answer text, ``text`` with ``thought: true`` is reasoning, ``functionCall`` is one **whole**
  tool call (``args`` an object; an ``id`` only on some models: otherwise the assembler gives it
  a unique one), and anything else (``executableCode``, ``codeExecutionResult`` ...) is kept as a
  provider block. ``groundingMetadata`` is kept as a provider block too;
- ``thoughtSignature`` may sit on any part (a function call, the first text part, an empty text
  part at the end, a code part) and must go back on that very part: a function call's goes in
  ``ToolCall.provider_data``, and the whole turn's part structure (kind, text length, signature)
  is recorded in the message's ``layout["parts"]``, so the encoder rebuilds the parts exactly;
- the end marker is the chunk with a ``finishReason``, except on a chunk that ends with
  ``executableCode`` (``two-finish-chunks-thoughts-code-exec``: the code's result and more text
  follow, and a later chunk carries the finish reason again): the last finish reason decides,
  at the end of the body; a body that ends before one is truncated. ``STOP`` -> ``STOP``
  (``TOOL_CALLS`` with calls), ``MAX_TOKENS`` -> ``LENGTH``, the safety family ->
  ``CONTENT_FILTER``, ``MALFORMED_FUNCTION_CALL`` / ``UNEXPECTED_TOOL_CALL`` /
  ``TOO_MANY_TOOL_CALLS`` -> ``MALFORMED_TOOL_CALL``, anything else -> ``OTHER``;
- a blocked prompt (``promptFeedback.blockReason``, no candidates) is ``CONTENT_FILTER`` with the
  detail ``prompt_blocked:<reason>``;
- usage: ``input_tokens`` = ``promptTokenCount`` + ``toolUsePromptTokenCount``,
  ``output_tokens`` = ``candidatesTokenCount`` + ``thoughtsTokenCount`` (everything generated,
  as on every wire), ``reasoning_tokens`` =
  ``thoughtsTokenCount``, ``cached_input_tokens`` = ``cachedContentTokenCount``; the last report
  wins (each chunk repeats the running totals);
- an ``error`` object in the body is an in-band error, typed by its ``status``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llmport.adapters.gemini.errors import PROVIDER, in_band_error
from llmport.core.decoding import parse_json
from llmport.core.raw import (
    END,
    Finish,
    MessageLayout,
    ProviderBlock,
    RawEvent,
    ResponseInfo,
    ToolCallData,
)
from llmport.domain.errors import StreamProtocolError, StreamTruncatedError
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

__all__ = ["PARTS", "SIGNATURE", "GeminiDecoder", "gemini_usage", "map_finish_reason"]

SIGNATURE: Final = "thoughtSignature"
PARTS: Final = "parts"
_NOTHING: Final[list[RawEvent]] = []
_FILTERS: Final = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR", "LANGUAGE",
})  # fmt: skip
_MALFORMED: Final = frozenset(
    {"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"}
)


def map_finish_reason(raw: str) -> FinishReason:
    if raw == "STOP":
        return FinishReason.STOP
    if raw == "MAX_TOKENS":
        return FinishReason.LENGTH
    if raw in _FILTERS:
        return FinishReason.CONTENT_FILTER
    if raw in _MALFORMED:
        return FinishReason.MALFORMED_TOOL_CALL
    return FinishReason.OTHER


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def gemini_usage(data: Any) -> Usage | None:
    if not isinstance(data, dict):
        return None
    thoughts = _count(data, "thoughtsTokenCount")
    return Usage(
        # The tool-use prompt (code execution results fed back) is input the model read too.
        input_tokens=_count(data, "promptTokenCount") + _count(data, "toolUsePromptTokenCount"),
        output_tokens=_count(data, "candidatesTokenCount") + thoughts,
        cached_input_tokens=_count(data, "cachedContentTokenCount"),
        reasoning_tokens=thoughts,
    )


def _record(kind: str, value: int, signature: Any) -> dict[str, Any]:
    """One part of the turn as ``layout["parts"]`` keeps it."""
    record: dict[str, Any] = {"kind": kind}
    if kind in ("text", "thought"):
        record["length"] = value
    elif kind == "call":
        record["index"] = value
    if isinstance(signature, str):
        record[SIGNATURE] = signature
    return record


class GeminiDecoder:
    """Decodes one Gemini stream body (a ``StreamDecoder``)."""

    __slots__ = (
        "_blocked",
        "_calls",
        "_finish",
        "_grounding",
        "_info",
        "_parts",
        "_provider",
        "_reasoning_index",
        "_usage",
    )

    def __init__(self, provider: str = PROVIDER) -> None:
        self._provider = provider
        self._finish: str | None = None
        self._blocked: str | None = None
        self._usage: Any = None
        self._info = False
        self._calls = 0
        self._parts: list[tuple[str, int, Any]] = []  # (kind, length or index, signature)
        self._reasoning_index = 0
        self._grounding: Any = None

    def feed(self, event: str, data: str) -> list[RawEvent]:
        try:
            obj = parse_json(data)
        except (ValueError, RecursionError):
            raise StreamProtocolError(
                "invalid JSON in a Gemini chunk", provider=self._provider
            ) from None
        if isinstance(obj, list):  # an SSE event holding an array (seen from some proxies)
            return [item for element in obj for item in self._chunk(element)]
        return self._chunk(obj)

    def _chunk(self, obj: Any) -> list[RawEvent]:
        if type(obj) is not dict:
            raise StreamProtocolError(
                "a Gemini chunk is not a JSON object", provider=self._provider
            )
        if "error" in obj:
            raise in_band_error(obj, self._provider)
        out: list[RawEvent] = []
        if not self._info:
            rid, model = obj.get("responseId"), obj.get("modelVersion")
            if isinstance(rid, str) or isinstance(model, str):
                self._info = True
                out.append(ResponseInfo(
                    rid if isinstance(rid, str) else None,
                    model if isinstance(model, str) else None,
                ))  # fmt: skip
        usage = obj.get("usageMetadata")
        if usage is not None:
            self._usage = usage  # the running totals: read once, at the end
        candidates = obj.get("candidates")
        if not candidates:
            feedback = obj.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            if isinstance(reason, str):
                self._blocked = reason
            return out
        candidate = candidates[0] if isinstance(candidates, list) else None
        if not isinstance(candidate, dict):
            return out
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict):
                self._part(part, out)
        grounding = candidate.get("groundingMetadata")
        if grounding is not None:
            self._grounding = grounding
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish:
            last = parts[-1] if isinstance(parts, list) and parts else None
            # A finish reason on a chunk that ends with code to run is not the end: the
            # execution's result and more text follow (two-finish-chunks-thoughts-code-exec).
            pending = isinstance(last, dict) and "executableCode" in last
            self._finish = None if pending else finish
        return out

    def _part(self, part: dict[str, Any], out: list[RawEvent]) -> None:
        signature = part.get(SIGNATURE)
        text = part.get("text")
        if type(text) is str:
            if part.get("thought") is True:
                self._parts.append(("thought", len(text), signature))
                if text:
                    out.append(ReasoningDelta(text, self._reasoning_index))
            else:
                self._parts.append(("text", len(text), signature))
                if text:
                    out.append(TextDelta(text))
            return
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            args = call.get("args")
            index = self._calls
            self._calls += 1
            call_id = call.get("id")
            name = call.get("name")
            arguments = json.dumps(
                args if args is not None else {}, ensure_ascii=False, separators=(",", ":")
            )
            out.append(ToolCallDelta(
                index,
                call_id if isinstance(call_id, str) and call_id else None,
                name if isinstance(name, str) else None,
                arguments,
            ))  # fmt: skip
            if isinstance(signature, str):
                out.append(ToolCallData(index, {SIGNATURE: signature}))
            self._parts.append(("call", index, signature))
        else:
            out.append(ProviderBlock(part))  # code execution and other server-side parts
            self._parts.append(("block", 0, signature))

    def eof(self) -> list[RawEvent]:
        if self._finish is None and self._blocked is None:
            raise StreamTruncatedError(
                "the Gemini stream ended before a finish reason", provider=self._provider
            )
        out: list[RawEvent] = []
        if self._finish is not None:
            out.append(Finish(map_finish_reason(self._finish), self._finish))
        else:
            assert self._blocked is not None
            out.append(Finish(FinishReason.CONTENT_FILTER, self._blocked,
                              detail=f"prompt_blocked:{self._blocked}"))  # fmt: skip
        usage = gemini_usage(self._usage)
        if usage is not None:
            out.append(usage)
        if self._grounding is not None:
            out.append(ProviderBlock({"groundingMetadata": self._grounding}))
        if self._parts:
            out.append(MessageLayout({PARTS: [_record(*part) for part in self._parts]}))
        out.append(END)
        return out
