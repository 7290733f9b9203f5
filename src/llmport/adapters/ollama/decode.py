"""Ollama's native ``/api/chat`` stream, sans-IO: one NDJSON line in, ``RawEvent`` items out.

Rules, from the recorded streams of ``../shared/streams/ollama`` and Ollama's API docs:

- each line is one JSON object; ``message.content`` is text, ``message.thinking`` reasoning
  (thinking models with ``think``), ``message.tool_calls`` whole calls: ``function.name`` and
  ``function.arguments`` as a JSON **object** (Go's encoder escapes ``<``, ``>``, ``&`` as
  ``\\u003c``... which JSON parsing undoes). Each call is one complete ``ToolCallDelta``,
  numbered in arrival order (``function.index`` restarts per line in older servers); an ``id``
  is kept when the server sends one, else the assembler gives the call a unique one;
- the line with ``"done": true`` is the end marker: ``done_reason`` ``stop`` (or missing, or
  ``""``: the marker decides) -> ``STOP`` (``TOOL_CALLS`` with calls, by the assembler),
  ``length`` -> ``LENGTH``, anything else (``load``, ``unload`` ...) -> ``OTHER`` with the raw
  value; ``prompt_eval_count`` / ``eval_count`` are the usage (absent counts stay absent);
- an ``{"error": "..."}`` line is an in-band error, whatever came before: no ``Done``;
- a line shaped like ``/api/generate``'s (``response`` and ``thinking`` at the top level) is
  read as text and reasoning, not refused;
- a body that ends before the ``done`` line is truncated. The last line may end at EOF without
  its newline (JSON Lines makes it optional) and still counts; a line cut inside its JSON is a
  truncation when nothing follows it, and a protocol error when more lines do.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llmport.adapters.ollama.errors import PROVIDER, in_band_error
from llmport.core.decoding import parse_json
from llmport.core.raw import END, Finish, RawEvent, ResponseInfo
from llmport.domain.errors import StreamProtocolError, StreamTruncatedError
from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

__all__ = ["OllamaDecoder", "map_done_reason"]

_DONE_REASONS: Final = {
    "stop": FinishReason.STOP,
    "": FinishReason.STOP,
    "length": FinishReason.LENGTH,
}
_NOTHING: Final[list[RawEvent]] = []


def map_done_reason(raw: str | None) -> FinishReason:
    """Ollama's ``done_reason`` to the normalised reason (missing: ``STOP``, the marker decides)."""
    if raw is None:
        return FinishReason.STOP
    return _DONE_REASONS.get(raw, FinishReason.OTHER)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class OllamaDecoder:
    """Decodes one ``/api/chat`` NDJSON body (a ``StreamDecoder``)."""

    __slots__ = ("_bad_line", "_calls", "_done", "_info_sent", "_provider")

    def __init__(self, provider: str = PROVIDER) -> None:
        self._provider = provider
        self._calls = 0
        self._done = False
        self._info_sent = False
        self._bad_line = False

    def feed(self, event: str, data: str) -> list[RawEvent]:
        if self._done:
            return _NOTHING  # nothing is expected after the done line
        if self._bad_line:
            raise StreamProtocolError(
                "Ollama sent a line that is not JSON, then more lines", provider=self._provider
            )
        try:
            obj = parse_json(data)
        except (ValueError, RecursionError):
            self._bad_line = True  # a cut last line (truncation) unless more lines follow
            return _NOTHING
        if type(obj) is not dict:
            raise StreamProtocolError(
                f"an Ollama line is a JSON {type(obj).__name__}, not an object",
                provider=self._provider,
            )
        message = obj.get("message")
        if (
            self._info_sent
            and type(message) is dict
            and len(message) == 2
            and obj.get("done") is False
            and "error" not in obj
        ):
            # The hot path: a plain {"role", "content"} token line (most lines of a stream).
            content = message.get("content")
            if type(content) is str:
                return [TextDelta(content)] if content else _NOTHING
        if "error" in obj:
            raise in_band_error(obj, self._provider)
        out: list[RawEvent] = []
        if not self._info_sent:
            self._info_sent = True
            model = obj.get("model")
            if isinstance(model, str):
                out.append(ResponseInfo(model=model))
        if type(message) is dict:
            self._message(message, out)
        else:
            self._generate_shape(obj, out)
        if obj.get("done") is True:
            self._finish(obj, out)
        return out

    def _message(self, message: dict[str, Any], out: list[RawEvent]) -> None:
        thinking = message.get("thinking")
        if isinstance(thinking, str) and thinking:
            out.append(ReasoningDelta(thinking))
        content = message.get("content")
        if isinstance(content, str) and content:
            out.append(TextDelta(content))
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                self._tool_call(call, out)

    def _generate_shape(self, obj: dict[str, Any], out: list[RawEvent]) -> None:
        thinking = obj.get("thinking")
        if isinstance(thinking, str) and thinking:
            out.append(ReasoningDelta(thinking))
        text = obj.get("response")
        if isinstance(text, str) and text:
            out.append(TextDelta(text))

    def _tool_call(self, call: Any, out: list[RawEvent]) -> None:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise StreamProtocolError(
                "an Ollama tool call has no function", provider=self._provider
            )
        name = function.get("name")
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            text = arguments  # a server that sends the JSON text: the assembler parses it
        elif arguments is None:
            text = "{}"
        else:
            text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        call_id = call.get("id")
        out.append(
            ToolCallDelta(
                self._calls,
                call_id if isinstance(call_id, str) and call_id else None,
                name if isinstance(name, str) else None,
                text,
            )
        )
        self._calls += 1

    def _finish(self, obj: dict[str, Any], out: list[RawEvent]) -> None:
        self._done = True
        raw = obj.get("done_reason")
        raw = raw if isinstance(raw, str) else None
        out.append(Finish(map_done_reason(raw), raw))
        prompt, generated = _count(obj.get("prompt_eval_count")), _count(obj.get("eval_count"))
        if prompt is not None or generated is not None:
            out.append(Usage(prompt or 0, generated or 0))
        out.append(END)

    def eof(self) -> list[RawEvent]:
        if self._done:
            return _NOTHING
        if self._bad_line:
            raise StreamTruncatedError(
                "the Ollama stream ended inside a line", provider=self._provider
            )
        raise StreamTruncatedError(
            'the Ollama stream ended before its "done": true line', provider=self._provider
        )
