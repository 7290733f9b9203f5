"""The golden form of an adapter's output: what ``tests/golden/anthropic/*.json`` hold.

Events and the final ``Done`` as plain JSON. Text, reasoning text and tool arguments are kept
as they are (they are what the test is about); opaque provider data (signatures, redacted
thinking, server-side blocks with their encrypted search results) is replaced by its length
and a hash, so the goldens stay small, are our own, and still pin those bytes exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from llmport.domain.events import Done, LlmStreamEvent, ReasoningDelta, TextDelta, ToolCallDelta

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden" / "anthropic"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def opaque(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"len": len(value), "sha256": _hash(value)}


def block_digest(block: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": block.get("type")}
    for key in ("id", "tool_use_id", "name", "index"):
        if key in block:
            out[key] = block[key]
    if "citations" in block:
        out["citations"] = len(block["citations"])
    canonical = json.dumps(block, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    out["sha256"] = _hash(canonical)
    return {k: v for k, v in out.items() if v is not None}


def layout_digest(layout: Mapping[str, Any]) -> dict[str, Any]:
    """The message's layout: the block order as it is, each citations record digested."""
    out: dict[str, Any] = {}
    if "content_order" in layout:
        out["content_order"] = layout["content_order"]
    if "citations" in layout:
        # Digested as the record it is: {"type": "citations", "index", "text", "citations"}.
        out["citations"] = [block_digest({"type": "citations", **c}) for c in layout["citations"]]
    return out


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def event_form(event: LlmStreamEvent) -> dict[str, Any]:
    match event:
        case TextDelta(text=text):
            return {"text": text}
        case ReasoningDelta():
            return _drop_none(
                {
                    "reasoning": event.index,
                    "text": event.text or None,
                    "signature": opaque(event.signature),
                    "encrypted": opaque(event.encrypted),
                    "id": event.id,
                }
            )
        case ToolCallDelta():
            return _drop_none(
                {
                    "tool": event.index,
                    "id": event.id,
                    "name": event.name,
                    "arguments": event.arguments,
                }
            )
        case Done():
            return {"done": done_form(event)}
    raise TypeError(type(event).__name__)


def done_form(done: Done) -> dict[str, Any]:
    message = done.message
    usage = done.usage
    return _drop_none(
        {
            "finish_reason": done.finish_reason.value,
            "raw_finish_reason": done.raw_finish_reason,
            "stop_sequence": done.stop_sequence,
            "detail": done.detail,
            "response_id": done.response_id,
            "model": done.model,
            "usage": None
            if usage is None
            else {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cached_input_tokens": usage.cached_input_tokens,
                "reasoning_tokens": usage.reasoning_tokens,
            },
            "message": _drop_none(
                {
                    "text": message.text,
                    "refusal": message.refusal,
                    "tool_calls": [
                        _drop_none(
                            {
                                "id": c.id,
                                "name": c.name,
                                "arguments": dict(c.arguments),
                                "raw_arguments": c.raw_arguments,
                                "complete": c.complete,
                            }
                        )
                        for c in message.tool_calls
                    ],
                    "reasoning": [
                        _drop_none(
                            {
                                "text": r.text,
                                "signature": opaque(r.signature),
                                "encrypted": opaque(r.encrypted),
                                "id": r.id,
                                "provider": r.provider,
                            }
                        )
                        for r in message.reasoning
                    ],
                    "provider_blocks": [block_digest(b) for b in message.provider_blocks],
                    "layout": layout_digest(message.layout) or None,
                }
            ),
        }
    )


def golden_form(events: Sequence[LlmStreamEvent]) -> dict[str, Any]:
    """``{"events": [each delta], "done": {...}}``; the last event must be the ``Done``."""
    *deltas, done = events
    assert isinstance(done, Done)
    return {"events": [event_form(e) for e in deltas], "done": done_form(done)}


def golden_path(stream_name: str) -> Path:
    vendor, _, short = stream_name.partition("/")
    name = short if vendor == "anthropic" else f"{vendor}--{short}"
    return GOLDEN_DIR / f"{name}.json"


def dumps(data: dict[str, Any]) -> str:
    """Readable and diffable: one event per line, ``done`` indented."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in data.items():
        if key == "events":
            lines.append(' "events": [')
            lines.extend(f"  {one(e)}," for e in value)
            if value:
                lines[-1] = lines[-1][:-1]
            lines.append(" ],")
        elif key == "done":
            body = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n ")
            lines.append(f' "done": {body},')
        else:
            lines.append(f" {one(key)}: {one(value)},")
    lines[-1] = lines[-1][:-1]
    lines.append("}")
    return "\n".join(lines) + "\n"
