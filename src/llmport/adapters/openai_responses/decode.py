"""The Responses API stream, sans-IO: one SSE event in, ``RawEvent`` items out.

Rules, from the 20 recorded streams of ``../shared/streams`` (OpenAI, Azure, DeepSeek, xAI,
Bedrock, OpenRouter) and the API reference:

- dispatch on the JSON ``type``, never the SSE event name (OpenRouter sends data-only events and
  a trailing ``data: [DONE]``, which is ignored); unknown types are ignored;
- ``response.created`` / ``in_progress`` / ``queued`` give the response id and model; a resumed
  background stream may start without ``created``;
- ``response.output_text.delta`` is text; ``response.refusal.delta`` a refusal; reasoning is
  ``response.reasoning_summary_text.delta`` (summary parts of one item joined by a blank line)
  or ``response.reasoning_text.delta`` (raw reasoning: gpt-oss on OpenRouter, DeepSeek), one
  ``ReasoningPart`` per reasoning item, keyed by its ``output_index``; the item's ``id`` and,
  at ``output_item.done``, its ``encrypted_content`` land on that part (the ``added`` event's
  encrypted content is provisional: the ``done`` one is the one to send back);
- the ``.done`` events are authoritative: a ``*.done`` whose text no delta streamed (a server
  that sends only ``done`` events) still yields it, and ``function_call_arguments.done`` /
  ``output_item.done`` replace arguments their deltas got wrong (``ToolCallArguments``);
- a ``function_call`` item is one tool call, keyed by ``output_index``: ``call_id`` is the
  call's id, the item id (``fc_...``) goes in ``ToolCall.provider_data`` to be sent back;
- built-in tool items (``web_search_call``, ``file_search_call``, ``code_interpreter_call``,
  ``image_generation_call``, ``mcp_call``, ``mcp_list_tools`` ... any other item type) are kept
  whole, as ``output_item.done`` has them, as provider blocks: the provider ran them, never us;
- text annotations (file citations, URLs) are kept on the message's ``layout["annotations"]``;
- ``response.completed`` ends the turn (``STOP``; ``TOOL_CALLS`` by the assembler with calls);
  ``response.incomplete`` ends it as ``LENGTH`` (``max_output_tokens``) or ``CONTENT_FILTER``
  (``content_filter``), the raw reason kept; usage comes with either;
- ``response.failed`` and ``error`` events are in-band errors, typed by their ``code``.
"""

from __future__ import annotations

from typing import Any, Final

from llmport.adapters.openai_compat import classify_error
from llmport.adapters.openai_responses.encode import ITEM_ID
from llmport.core.decoding import parse_json
from llmport.core.errors_map import RETRYABLE_CATEGORIES
from llmport.core.raw import (
    END,
    Finish,
    MessageLayout,
    ProviderBlock,
    RawEvent,
    RefusalDelta,
    ResponseInfo,
    ToolCallArguments,
    ToolCallData,
)
from llmport.domain.errors import (
    ErrorCategory,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

__all__ = ["ResponsesDecoder", "in_band_error", "responses_usage"]

_NOTHING: Final[list[RawEvent]] = []
_INCOMPLETE: Final = {
    "max_output_tokens": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
}
_OWN_ITEMS: Final = frozenset({"message", "reasoning", "function_call"})


def responses_usage(data: Any) -> Usage | None:
    """The Responses ``usage`` object as ``Usage`` (None when absent)."""
    if not isinstance(data, dict):
        return None
    inputs = data.get("input_tokens_details")
    outputs = data.get("output_tokens_details")
    cached = inputs.get("cached_tokens") if isinstance(inputs, dict) else 0
    reasoning = outputs.get("reasoning_tokens") if isinstance(outputs, dict) else 0
    return Usage(
        int(data.get("input_tokens") or 0),
        int(data.get("output_tokens") or 0),
        int(cached or 0),
        int(reasoning or 0),
    )


def in_band_error(error: Any, provider: str, *, what: str) -> StreamInBandError:
    """A ``response.failed`` / ``error`` event as a typed in-band error."""
    category, code, message = classify_error(error)
    category = category or ErrorCategory.UNKNOWN
    text = f"{what}: {message}" if message else what
    return StreamInBandError(
        text,
        in_band_category=category,
        provider=provider,
        retryable=category in RETRYABLE_CATEGORIES,
        code=code,
    )


class ResponsesDecoder:
    """Decodes one Responses SSE body (a ``StreamDecoder``)."""

    __slots__ = (
        "_annotations",
        "_args",
        "_ended",
        "_info",
        "_kinds",
        "_provider",
        "_reasoning",
        "_summary_parts",
        "_texts",
    )

    def __init__(self, provider: str = "openai") -> None:
        self._provider = provider
        self._ended = False
        self._info = False
        self._kinds: dict[int, str] = {}  # output_index -> item type
        self._args: dict[int, str] = {}  # output_index -> argument text streamed so far
        self._texts: dict[tuple[int, int, str], int] = {}  # (item, part, kind) -> chars streamed
        self._reasoning: dict[int, int] = {}  # reasoning item -> chars of text streamed
        self._summary_parts: dict[int, int] = {}  # reasoning item -> last summary index seen
        self._annotations: list[Any] = []

    # --- the StreamDecoder protocol --------------------------------------------------------

    def feed(self, event: str, data: str) -> list[RawEvent]:
        if self._ended or data == "[DONE]":
            return _NOTHING
        try:
            obj = parse_json(data)
        except (ValueError, RecursionError):
            raise StreamProtocolError(
                f"invalid JSON in a Responses {event or 'unnamed'} event", provider=self._provider
            ) from None
        if type(obj) is not dict:
            raise StreamProtocolError(
                "a Responses event is not a JSON object", provider=self._provider
            )
        kind = obj.get("type")
        if kind == "response.output_text.delta":  # the hot path: kept to a few lookups
            delta = obj.get("delta")
            if type(delta) is str and delta:
                part = obj.get("content_index")
                key = (obj.get("output_index"), part or 0, "text")
                counts = self._texts
                counts[key] = counts.get(key, 0) + len(delta)  # type: ignore[index,arg-type]
                return [TextDelta(delta)]
            return _NOTHING
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            if kind == "error" or event == "error":
                raise in_band_error(obj, self._provider, what="the provider reported an error")
            return _NOTHING
        result: list[RawEvent] = handler(self, obj)
        return result

    def eof(self) -> list[RawEvent]:
        if self._ended:
            return _NOTHING
        raise StreamTruncatedError(
            "the Responses stream ended before response.completed", provider=self._provider
        )

    # --- helpers -----------------------------------------------------------------------------

    def _count(self, obj: dict[str, Any], kind: str, text: str) -> None:
        part = obj.get("content_index")
        if kind == "reasoning":
            part = obj.get("summary_index", part)
        key = (_int(obj.get("output_index")), _int(part), kind)
        self._texts[key] = self._texts.get(key, 0) + len(text)

    def _rest(self, obj: dict[str, Any], kind: str, full: Any) -> str:
        """What of the ``.done`` text ``full`` no delta streamed (all of it, or nothing)."""
        if not isinstance(full, str) or not full:
            return ""
        key = (_int(obj.get("output_index")), _int(obj.get("content_index")), kind)
        streamed = self._texts.get(key, 0)
        self._texts[key] = len(full)
        return full[streamed:] if streamed < len(full) else ""

    # --- events ------------------------------------------------------------------------------

    def _response_info(self, obj: dict[str, Any]) -> list[RawEvent]:
        if self._info:
            return _NOTHING
        response = obj.get("response")
        if not isinstance(response, dict):
            return _NOTHING
        self._info = True
        rid, model = response.get("id"), response.get("model")
        return [
            ResponseInfo(
                rid if isinstance(rid, str) else None, model if isinstance(model, str) else None
            )
        ]

    def _refusal_delta(self, obj: dict[str, Any]) -> list[RawEvent]:
        delta = obj.get("delta")
        if isinstance(delta, str) and delta:
            self._count(obj, "refusal", delta)
            return [RefusalDelta(delta)]
        return _NOTHING

    def _text_done(self, obj: dict[str, Any]) -> list[RawEvent]:
        rest = self._rest(obj, "text", obj.get("text"))
        return [TextDelta(rest)] if rest else _NOTHING

    def _refusal_done(self, obj: dict[str, Any]) -> list[RawEvent]:
        rest = self._rest(obj, "refusal", obj.get("refusal"))
        return [RefusalDelta(rest)] if rest else _NOTHING

    def _reasoning_text(self, obj: dict[str, Any], text: str) -> list[RawEvent]:
        """Reasoning text of one part of a reasoning item (parts joined by a blank line)."""
        part = obj.get("summary_index", obj.get("content_index"))
        return self._reasoning_part(
            _int(obj.get("output_index")), part if isinstance(part, int) else 0, text
        )

    def _reasoning_part(self, index: int, part: int, text: str) -> list[RawEvent]:
        reasoning = self._reasoning
        seen = reasoning.get(index, 0)
        previous = self._summary_parts.get(index, part)
        self._summary_parts[index] = part
        reasoning[index] = seen + len(text)
        if seen and previous != part:  # a new part of the same item
            return [ReasoningDelta("\n\n", index), ReasoningDelta(text, index)]
        return [ReasoningDelta(text, index)]

    def _reasoning_delta(self, obj: dict[str, Any]) -> list[RawEvent]:
        # The bulk of a reasoning model's stream: indexes read once for both records.
        delta = obj.get("delta")
        if type(delta) is not str or not delta:
            return _NOTHING
        index = obj.get("output_index")
        if type(index) is not int:
            index = 0
        part = obj.get("summary_index", obj.get("content_index"))
        if type(part) is not int:
            part = 0
        key = (index, part, "reasoning")
        texts = self._texts
        texts[key] = texts.get(key, 0) + len(delta)
        return self._reasoning_part(index, part, delta)

    def _reasoning_done(self, obj: dict[str, Any]) -> list[RawEvent]:
        text = obj.get("text")
        key = {
            "output_index": obj.get("output_index"),
            "content_index": obj.get("summary_index", obj.get("content_index")),
        }
        rest = self._rest(key, "reasoning", text)
        return self._reasoning_text(obj, rest) if rest else _NOTHING

    def _annotation(self, obj: dict[str, Any]) -> list[RawEvent]:
        annotation = obj.get("annotation")
        if isinstance(annotation, dict):
            self._annotations.append(annotation)
        return _NOTHING

    def _item_added(self, obj: dict[str, Any]) -> list[RawEvent]:
        item = obj.get("item")
        if not isinstance(item, dict):
            return _NOTHING
        index = _int(obj.get("output_index"))
        kind = item.get("type")
        self._kinds[index] = kind if isinstance(kind, str) else ""
        if kind == "function_call":
            arguments = item.get("arguments")
            text = arguments if isinstance(arguments, str) else ""
            self._args[index] = text
            out: list[RawEvent] = [
                ToolCallDelta(index, _str(item.get("call_id")), _str(item.get("name")), text)
            ]
            if isinstance(item.get("id"), str):
                out.append(ToolCallData(index, {ITEM_ID: item["id"]}))
            return out
        if kind == "reasoning" and isinstance(item.get("id"), str):
            return [ReasoningDelta(index=index, id=item["id"])]
        return _NOTHING

    def _arguments_delta(self, obj: dict[str, Any]) -> list[RawEvent]:
        delta = obj.get("delta")
        if not isinstance(delta, str) or not delta:
            return _NOTHING
        index = _int(obj.get("output_index"))
        self._args[index] = self._args.get(index, "") + delta
        return [ToolCallDelta(index, arguments=delta)]

    def _arguments(self, index: int, final: Any) -> list[RawEvent]:
        """The authoritative arguments: the missing tail as a delta, or a replacement."""
        if not isinstance(final, str):
            return _NOTHING
        streamed = self._args.get(index, "")
        self._args[index] = final
        if final == streamed:
            return _NOTHING
        if final.startswith(streamed):
            return [ToolCallDelta(index, arguments=final[len(streamed) :])]
        return [ToolCallArguments(index, final)]

    def _arguments_done(self, obj: dict[str, Any]) -> list[RawEvent]:
        return self._arguments(_int(obj.get("output_index")), obj.get("arguments"))

    def _item_done(self, obj: dict[str, Any]) -> list[RawEvent]:
        item = obj.get("item")
        if not isinstance(item, dict):
            return _NOTHING
        index = _int(obj.get("output_index"))
        kind = item.get("type")
        if kind == "function_call":
            out = _NOTHING if index in self._kinds else self._item_added(obj)
            return [*out, *self._arguments(index, item.get("arguments"))]
        if kind == "reasoning":
            out = []
            if index not in self._kinds:
                out = self._item_added(obj)
            if not self._reasoning.get(index):
                text = _reasoning_text(item)
                if text:
                    self._reasoning[index] = len(text)
                    out.append(ReasoningDelta(text, index))
            encrypted = item.get("encrypted_content")
            if isinstance(encrypted, str) and encrypted:
                out.append(ReasoningDelta(index=index, encrypted=encrypted))
            return out
        if kind == "message":
            return self._message_done(index, item)
        return [ProviderBlock(item)]  # a built-in tool's item: the provider ran it

    def _message_done(self, index: int, item: dict[str, Any]) -> list[RawEvent]:
        out: list[RawEvent] = []
        content = item.get("content")
        for position, part in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(part, dict):
                continue
            where = {"output_index": index, "content_index": position}
            if part.get("type") == "output_text":
                rest = self._rest(where, "text", part.get("text"))
                if rest:
                    out.append(TextDelta(rest))
            elif part.get("type") == "refusal":
                rest = self._rest(where, "refusal", part.get("refusal"))
                if rest:
                    out.append(RefusalDelta(rest))
        return out

    def _end(self, obj: dict[str, Any]) -> list[RawEvent]:
        self._ended = True
        response = obj.get("response") if isinstance(obj.get("response"), dict) else {}
        assert isinstance(response, dict)
        out: list[RawEvent] = [*self._response_info(obj)]
        if obj.get("type") == "response.incomplete":
            details = response.get("incomplete_details")
            raw = details.get("reason") if isinstance(details, dict) else None
            raw = raw if isinstance(raw, str) else "incomplete"
            out.append(Finish(_INCOMPLETE.get(raw, FinishReason.OTHER), raw))
        else:
            status = response.get("status")
            out.append(
                Finish(FinishReason.STOP, status if isinstance(status, str) else "completed")
            )
        usage = responses_usage(response.get("usage"))
        if usage is not None:
            out.append(usage)
        if self._annotations:
            out.append(MessageLayout({"annotations": self._annotations}))
        out.append(END)
        return out

    def _failed(self, obj: dict[str, Any]) -> list[RawEvent]:
        response = obj.get("response") if isinstance(obj.get("response"), dict) else {}
        error = response.get("error") if isinstance(response, dict) else None
        raise in_band_error(error or obj, self._provider, what="the response failed")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _reasoning_text(item: dict[str, Any]) -> str:
    parts: list[str] = []
    for key, kind in (("summary", "summary_text"), ("content", "reasoning_text")):
        for part in item.get(key) or ():
            if isinstance(part, dict) and part.get("type") == kind and part.get("text"):
                parts.append(str(part["text"]))
    return "\n\n".join(parts)


_HANDLERS: Final[dict[str, Any]] = {
    "response.created": ResponsesDecoder._response_info,
    "response.in_progress": ResponsesDecoder._response_info,
    "response.queued": ResponsesDecoder._response_info,
    "response.output_text.done": ResponsesDecoder._text_done,
    "response.refusal.delta": ResponsesDecoder._refusal_delta,
    "response.refusal.done": ResponsesDecoder._refusal_done,
    "response.reasoning_summary_text.delta": ResponsesDecoder._reasoning_delta,
    "response.reasoning_text.delta": ResponsesDecoder._reasoning_delta,
    "response.reasoning_summary_text.done": ResponsesDecoder._reasoning_done,
    "response.reasoning_text.done": ResponsesDecoder._reasoning_done,
    "response.output_text.annotation.added": ResponsesDecoder._annotation,
    "response.output_item.added": ResponsesDecoder._item_added,
    "response.output_item.done": ResponsesDecoder._item_done,
    "response.function_call_arguments.delta": ResponsesDecoder._arguments_delta,
    "response.function_call_arguments.done": ResponsesDecoder._arguments_done,
    "response.completed": ResponsesDecoder._end,
    "response.incomplete": ResponsesDecoder._end,
    "response.failed": ResponsesDecoder._failed,
}
