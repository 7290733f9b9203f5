"""Anthropic Messages SSE -> ``RawEvent`` items: a sans-IO ``StreamDecoder``.

Anthropic streams one *message* made of numbered *content blocks*. Each block opens with
``content_block_start`` (its type and, for a tool call, its id and name), grows with
``content_block_delta`` events and closes with ``content_block_stop``; ``message_start`` and
``message_delta`` carry the id, model, usage and stop reason; ``message_stop`` ends the message.
This decoder follows that protocol strictly (an event before ``message_start`` or a delta for a
block that was never opened is a ``StreamProtocolError``, as the official SDK also refuses it) and
maps it to llmport's vocabulary:

- ``text`` blocks -> ``TextDelta``;
- ``thinking`` blocks -> ``ReasoningDelta(index=<block index>)``: the text of each
  ``thinking_delta``, then the ``signature_delta`` (once, before the stop) as
  ``ReasoningDelta(signature=...)``; ``redacted_thinking`` -> ``ReasoningDelta(encrypted=data)``.
  Signatures and redacted data are opaque and kept byte for byte: the next turn must send them
  back unchanged;
- ``tool_use`` blocks -> ``ToolCallDelta(index=<block index>)``, id and name on the first one,
  then the ``input_json_delta`` fragments (a block with no fragment means ``{}``; the shared
  assembler parses the JSON at the end). Anthropic ids are referenced by the server on the next
  turn, so an empty or repeated id is a protocol error rather than something we invent;
- server-side tool blocks (``server_tool_use``, ``web_search_tool_result``, ``mcp_tool_use``,
  code execution results, ``compaction`` ...) and any block type we do not know -> one
  ``ProviderBlock`` per block, emitted at its stop, holding the block exactly as a non-streaming
  response would: the start object with its deltas applied (``input_json_delta`` fragments parsed
  into ``input``, string fields of other deltas appended). They are the provider's business:
  never executed, kept on the message so the next turn can send them back;
- ``citations_delta`` on a text block: the text stays plain text; the citations are kept in the
  message's ``layout["citations"]``, one ``{"index", "text", "citations"}`` per cited text block,
  so a caller can show sources. It is llmport metadata, not an Anthropic block: the encoder puts
  the citations back on their text block;
- a message with server-side blocks also gets ``layout["content_order"]``: the type, block index
  (and, for text, its length in characters; for a tool call, its id) of every block in stream
  order. The message keeps one text, its reasoning and its tool calls apart, so this record is
  what lets the encoder send such a turn back exactly as it came, text between the server tool
  calls and a paused turn's trailing ``server_tool_use`` last, as ``pause_turn`` requires;
- usage: ``message_start`` reports input and cache counts, ``message_delta`` cumulative totals
  (any field it carries wins). ``Usage.input_tokens`` is the whole prompt (Anthropic's
  ``input_tokens`` + cache reads + cache writes) and ``cached_input_tokens`` the cache reads, so
  the figures mean the same for every provider;
- ``message_delta.stop_reason`` -> ``Finish``; ``message_stop`` -> ``END``. ``ping`` and unknown
  event types are ignored; an ``error`` event raises ``StreamInBandError`` (see ``errors.py``).

The decoder does not build the message nor adjust the finish reason for tool calls: the guard
does that, once, for every wire.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llmport.adapters.anthropic.errors import PROVIDER, in_band_error
from llmport.core.decoding import parse_json
from llmport.core.raw import END, Finish, MessageLayout, ProviderBlock, RawEvent, ResponseInfo
from llmport.domain.errors import StreamProtocolError, StreamTruncatedError
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

__all__ = ["CITATIONS", "CONTENT_ORDER", "FINISH_REASONS", "INCOMPLETE_KEY", "AnthropicDecoder"]


FINISH_REASONS: Final[dict[str, FinishReason]] = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "tool_use": FinishReason.TOOL_CALLS,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.CONTEXT_WINDOW,
    "refusal": FinishReason.REFUSAL,
    "pause_turn": FinishReason.PAUSED,
}

CONTENT_ORDER: Final = "content_order"
CITATIONS: Final = "citations"
"""Type of llmport's order record of a message with server-side blocks (see the docstring)."""

INCOMPLETE_KEY: Final = "_llmport_incomplete"
"""Set on a server-side block that the stream never closed (cut by the end of the message)."""

# Block kinds. Small ints: compared on the hot path.
_TEXT: Final = 0
_THINKING: Final = 1
_REDACTED: Final = 2
_TOOL: Final = 3
_PROVIDER: Final = 4

_loads = parse_json
_NOTHING: Final[list[RawEvent]] = []


class _Block:
    """One open content block."""

    __slots__ = (
        "citations",
        "data",
        "id",
        "index",
        "json_parts",
        "kind",
        "length",
        "text_parts",
        "tool_input",
        "type",
    )

    def __init__(self, kind: int, index: int, type: str) -> None:
        self.kind = kind
        self.index = index
        self.type = type  # the block's type name, for the content order record
        self.id: str | None = None  # tool_use: its id
        self.length = 0  # text: characters so far
        self.data: dict[str, Any] | None = None  # provider blocks: the block being assembled
        self.json_parts: list[str] | None = None  # provider blocks: input_json_delta fragments
        self.citations: list[Any] | None = None  # text blocks that declare citations
        self.text_parts: list[str] | None = None  # their text, to go with the citations
        self.tool_input: Any = None  # tool_use: a non-empty ``input`` given at start
        # (never seen in real streams, where input arrives as deltas; honoured if it does)


def _protocol(message: str) -> StreamProtocolError:
    return StreamProtocolError(message, provider=PROVIDER)


def _block_index(obj: dict[str, Any], event: str) -> int:
    index = obj.get("index")
    if type(index) is not int:
        raise _protocol(f"{event} event without an integer block index")
    return index


class AnthropicDecoder:
    """Decodes one Anthropic Messages SSE response (see the module docstring)."""

    __slots__ = (
        "_blocks",
        "_cache_creation",
        "_cache_read",
        "_citations",
        "_ended",
        "_input",
        "_output",
        "_sequence",
        "_server_blocks",
        "_started",
        "_tool_ids",
    )

    def __init__(self) -> None:
        self._started = False
        self._ended = False
        self._blocks: dict[int, _Block] = {}
        self._sequence: list[_Block] = []  # every block, in stream order
        self._server_blocks = False
        self._citations: list[dict[str, Any]] = []
        self._tool_ids: set[str] = set()
        self._input = 0
        self._cache_read = 0
        self._cache_creation = 0
        self._output = 0

    # --- the StreamDecoder protocol ------------------------------------------------------------

    def feed(self, event: str, data: str) -> list[RawEvent]:
        if event == "ping":
            return _NOTHING
        try:
            obj = parse_json(data)
        except ValueError as error:
            where = f" at character {error.pos}" if isinstance(error, json.JSONDecodeError) else ""
            raise _protocol(
                f"invalid JSON in an Anthropic {event or 'unnamed'} event{where}"
            ) from None
        if type(obj) is not dict:
            raise _protocol(f"an Anthropic {event or 'unnamed'} event is not a JSON object")
        kind = obj.get("type")
        if kind == "content_block_delta":
            # The hot path, inlined: a text delta on an open text block.
            block = self._blocks.get(obj.get("index"))  # type: ignore[arg-type]
            delta = obj.get("delta")
            if (
                block is not None
                and block.kind == _TEXT
                and type(delta) is dict
                and delta.get("type") == "text_delta"
            ):
                text = delta.get("text")
                if type(text) is str:
                    block.length += len(text)
                    if block.text_parts is not None:
                        block.text_parts.append(text)
                    return [TextDelta(text)]
            return self._delta(obj)
        if kind == "content_block_start":
            return self._start(obj)
        if kind == "content_block_stop":
            return self._stop(obj)
        if kind == "message_delta":
            return self._message_delta(obj)
        if kind == "message_start":
            return self._message_start(obj)
        if kind == "message_stop":
            return self._message_stop()
        if kind == "error" or event == "error":
            raise in_band_error(obj)
        return _NOTHING  # ping, or an event type from the future

    def eof(self) -> list[RawEvent]:
        if self._ended:
            return _NOTHING
        where = "before message_start" if not self._started else "before message_stop"
        raise StreamTruncatedError(f"the Anthropic stream ended {where}", provider=PROVIDER)

    # --- message events ------------------------------------------------------------------------

    def _check_open(self, event: str) -> None:
        if not self._started:
            raise _protocol(f"Anthropic {event} event before message_start")
        if self._ended:
            raise _protocol(f"Anthropic {event} event after message_stop")

    def _message_start(self, obj: dict[str, Any]) -> list[RawEvent]:
        if self._started:
            raise _protocol("a second Anthropic message_start event in one stream")
        self._started = True
        message = obj.get("message")
        if type(message) is not dict:
            raise _protocol("Anthropic message_start event without a message object")
        out: list[RawEvent] = []
        msg_id, model = message.get("id"), message.get("model")
        if isinstance(msg_id, str) or isinstance(model, str):
            out.append(
                ResponseInfo(
                    msg_id if isinstance(msg_id, str) else None,
                    model if isinstance(model, str) else None,
                )
            )
        usage = message.get("usage")
        if type(usage) is dict:
            out.append(self._merge_usage(usage))
        return out

    def _merge_usage(self, usage: dict[str, Any]) -> Usage:
        value = usage.get("input_tokens")
        if type(value) is int:
            self._input = value
        value = usage.get("cache_read_input_tokens")
        if type(value) is int:
            self._cache_read = value
        value = usage.get("cache_creation_input_tokens")
        if type(value) is int:
            self._cache_creation = value
        value = usage.get("output_tokens")
        if type(value) is int:
            self._output = value
        return Usage(
            input_tokens=self._input + self._cache_read + self._cache_creation,
            output_tokens=self._output,
            cached_input_tokens=self._cache_read,
        )

    def _message_delta(self, obj: dict[str, Any]) -> list[RawEvent]:
        self._check_open("message_delta")
        out: list[RawEvent] = []
        delta = obj.get("delta")
        if type(delta) is dict:
            raw = delta.get("stop_reason")
            if isinstance(raw, str):
                stop_sequence = delta.get("stop_sequence")
                out.append(
                    Finish(
                        FINISH_REASONS.get(raw, FinishReason.OTHER),
                        raw,
                        stop_sequence if isinstance(stop_sequence, str) else None,
                    )
                )
        usage = obj.get("usage")
        if type(usage) is dict:
            out.append(self._merge_usage(usage))
        return out

    def _message_stop(self) -> list[RawEvent]:
        self._check_open("message_stop")
        self._ended = True
        out: list[RawEvent] = []
        # Server-side blocks the message never closed (a token limit cut them) are still kept,
        # flagged, so the turn's record is complete; the encoder does not send them back.
        for block in self._blocks.values():
            if block.kind == _PROVIDER:
                out.append(_finish_provider_block(block, closed=False))
        self._blocks.clear()
        layout: dict[str, Any] = {}
        if self._server_blocks:
            layout[CONTENT_ORDER] = _content_order(self._sequence)
        if self._citations:
            layout[CITATIONS] = self._citations
        if layout:
            out.append(MessageLayout(layout))
        out.append(END)
        return out

    # --- content blocks ------------------------------------------------------------------------

    def _start(self, obj: dict[str, Any]) -> list[RawEvent]:
        self._check_open("content_block_start")
        index = _block_index(obj, "content_block_start")
        if index in self._blocks:
            raise _protocol(f"Anthropic content block {index} started twice")
        content = obj.get("content_block")
        if type(content) is not dict:
            raise _protocol(f"Anthropic content block {index} started without a content_block")
        kind = content.get("type")
        if kind == "text":
            block = self._blocks[index] = _Block(_TEXT, index, "text")
            if "citations" in content:
                block.citations = list(content.get("citations") or ())
                block.text_parts = []
            self._sequence.append(block)
            text = content.get("text")
            if isinstance(text, str) and text:
                block.length = len(text)
                if block.text_parts is not None:
                    block.text_parts.append(text)
                return [TextDelta(text)]
            return _NOTHING
        if kind == "thinking":
            self._sequence.append(_Block(_THINKING, index, "thinking"))
            self._blocks[index] = self._sequence[-1]
            out: list[RawEvent] = []
            text = content.get("thinking")
            if isinstance(text, str) and text:
                out.append(ReasoningDelta(text, index))
            signature = content.get("signature")
            if isinstance(signature, str) and signature:
                out.append(ReasoningDelta(index=index, signature=signature))
            return out
        if kind == "redacted_thinking":
            self._sequence.append(_Block(_REDACTED, index, "redacted_thinking"))
            self._blocks[index] = self._sequence[-1]
            data = content.get("data")
            if not isinstance(data, str) or not data:
                raise _protocol(f"Anthropic redacted_thinking block {index} without data")
            return [ReasoningDelta(index=index, encrypted=data)]
        if kind == "tool_use":
            call_id, name = content.get("id"), content.get("name")
            if not isinstance(call_id, str) or not call_id:
                raise _protocol(f"Anthropic tool_use block {index} without an id")
            if call_id in self._tool_ids:
                raise _protocol(f"Anthropic tool_use id {call_id!r} used twice in one message")
            if not isinstance(name, str) or not name:
                raise _protocol(f"Anthropic tool_use block {index} without a name")
            self._tool_ids.add(call_id)
            block = self._blocks[index] = _Block(_TOOL, index, "tool_use")
            block.id = call_id
            self._sequence.append(block)
            given = content.get("input")
            if given:
                block.tool_input = given
            return [ToolCallDelta(index, call_id, name, "")]
        # Server-side tool blocks, compaction, and block types from the future.
        block = self._blocks[index] = _Block(_PROVIDER, index, str(kind))
        block.data = dict(content)
        self._sequence.append(block)
        self._server_blocks = True
        return _NOTHING

    def _delta(self, obj: dict[str, Any]) -> list[RawEvent]:
        index = obj.get("index")
        block = self._blocks.get(index)  # type: ignore[arg-type]
        if block is None:
            self._check_open("content_block_delta")
            raise _protocol(f"Anthropic delta for content block {index!r}, which is not open")
        delta = obj.get("delta")
        if type(delta) is not dict:
            raise _protocol(f"Anthropic content_block_delta {index} without a delta object")
        kind = delta.get("type")
        block_kind = block.kind
        index = block.index
        if kind == "text_delta" and block_kind == _TEXT:
            text = delta.get("text")
            if not isinstance(text, str):
                raise _protocol(f"Anthropic text_delta {index} without text")
            block.length += len(text)
            if block.text_parts is not None:
                block.text_parts.append(text)
            return [TextDelta(text)]
        if kind == "input_json_delta":
            fragment = delta.get("partial_json")
            if not isinstance(fragment, str):
                raise _protocol(f"Anthropic input_json_delta {index} without partial_json")
            if block_kind == _TOOL:
                return [ToolCallDelta(index, None, None, fragment)] if fragment else _NOTHING
            if block_kind == _PROVIDER:
                if block.json_parts is None:
                    block.json_parts = []
                block.json_parts.append(fragment)
                return _NOTHING
        elif kind == "thinking_delta" and block_kind == _THINKING:
            text = delta.get("thinking")
            if not isinstance(text, str):
                raise _protocol(f"Anthropic thinking_delta {index} without thinking text")
            return [ReasoningDelta(text, index)] if text else _NOTHING
        elif kind == "signature_delta" and block_kind == _THINKING:
            signature = delta.get("signature")
            if not isinstance(signature, str):
                raise _protocol(f"Anthropic signature_delta {index} without a signature")
            return [ReasoningDelta(index=index, signature=signature)] if signature else _NOTHING
        elif kind == "citations_delta" and block_kind == _TEXT:
            if block.citations is None:
                block.citations = []
                block.text_parts = []
            block.citations.append(delta.get("citation"))
            return _NOTHING
        elif block_kind == _PROVIDER:
            _apply_generic_delta(block, delta)
            return _NOTHING
        if kind in _KNOWN_DELTAS:
            raise _protocol(
                f"Anthropic {kind} for content block {index}, which is a {_KIND_NAMES[block_kind]}"
            )
        return _NOTHING  # a delta type from the future on a block we know: ignored

    def _stop(self, obj: dict[str, Any]) -> list[RawEvent]:
        index = obj.get("index")
        block = self._blocks.pop(index, None)  # type: ignore[arg-type]
        if block is None:
            self._check_open("content_block_stop")
            raise _protocol(f"Anthropic content_block_stop for block {index!r}, which is not open")
        index = block.index
        kind = block.kind
        if kind == _TEXT:
            if block.citations:
                self._citations.append(
                    {
                        "index": index,
                        "text": "".join(block.text_parts or ()),
                        "citations": block.citations,
                    }
                )
            return _NOTHING
        if kind == _TOOL and block.tool_input is not None:
            arguments = json.dumps(block.tool_input, ensure_ascii=False, separators=(",", ":"))
            return [ToolCallDelta(index, None, None, arguments)]
        if kind == _PROVIDER:
            return [_finish_provider_block(block, closed=True)]
        return _NOTHING


_KNOWN_DELTAS: Final = frozenset(
    {"text_delta", "input_json_delta", "thinking_delta", "signature_delta", "citations_delta"}
)
_KIND_NAMES: Final = {
    _TEXT: "text block",
    _THINKING: "thinking block",
    _REDACTED: "redacted_thinking block",
    _TOOL: "tool_use block",
    _PROVIDER: "server-side block",
}


def _content_order(sequence: list[_Block]) -> list[dict[str, Any]]:
    """The order record of a message with server-side blocks (see the module docstring)."""
    blocks: list[dict[str, Any]] = []
    for block in sequence:
        entry: dict[str, Any] = {"type": block.type, "index": block.index}
        if block.kind == _TEXT:
            entry["length"] = block.length
        elif block.kind == _TOOL:
            entry["id"] = block.id
        blocks.append(entry)
    return blocks


def _apply_generic_delta(block: _Block, delta: dict[str, Any]) -> None:
    """Apply a delta of a type we do not model to a server-side block (e.g. compaction_delta):
    string fields are appended to the block's field of the same name, others replace it."""
    data = block.data
    assert data is not None
    for key, value in delta.items():
        if key == "type":
            continue
        current = data.get(key)
        if isinstance(value, str) and (current is None or isinstance(current, str)):
            data[key] = (current or "") + value
        else:
            data[key] = value


def _finish_provider_block(block: _Block, *, closed: bool) -> ProviderBlock:
    data = block.data
    assert data is not None
    if block.json_parts is not None:
        raw = "".join(block.json_parts)
        if raw.strip():
            try:
                data["input"] = _loads(raw)
            except ValueError:
                data[INCOMPLETE_KEY] = True
    if not closed:
        data[INCOMPLETE_KEY] = True
    return ProviderBlock(data)
