"""``llmport logs``: the recent runs as a table, and one run in full with its tool calls."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

from llmport.cli.store import ConversationRecord, RunRecord
from llmport.domain.messages import (
    AssistantMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
    message_to_dict,
)

__all__ = [
    "conversation_to_dict",
    "print_conversations",
    "print_record",
    "print_runs",
    "record_to_dict",
]


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_runs(records: list[RunRecord], out: TextIO, *, empty: bool = False) -> None:
    """A table of runs, newest first (``empty``: the log itself has none)."""
    if not records:
        out.write("no runs logged yet\n" if empty else "no runs match\n")
        return
    out.write(
        f"{'ID':>5}  {'STARTED':19}  {'MODEL':18}  {'STATUS':11}  {'TURNS':>5}  "
        f"{'TOKENS IN/OUT':>13}  {'SECONDS':>7}  PROMPT\n"
    )
    for r in records:
        tokens = f"{r.input_tokens or 0}/{r.output_tokens or 0}"
        seconds = f"{r.duration:.1f}" if r.duration is not None else "-"
        out.write(
            f"{r.id:>5}  {_when(r.started_at):19}  {_one_line(r.model, 18):18}  "
            f"{r.status:11}  {r.turns or 0:>5}  {tokens:>13}  {seconds:>7}  "
            f"{_one_line(r.prompt, 60)}\n"
        )


def record_to_dict(record: RunRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "conversation": record.conversation,
        "kind": record.kind,
        "started_at": record.started_at,
        "duration": record.duration,
        "model": record.model,
        "prompt": record.prompt,
        "status": record.status,
        "finish_reason": record.finish_reason,
        "usage": {"input_tokens": record.input_tokens, "output_tokens": record.output_tokens},
        "turns": record.turns,
        "error": record.error,
        "transcript": [message_to_dict(m) for m in record.transcript],
    }


def print_record(record: RunRecord, out: TextIO) -> None:
    """One run: its facts, then the conversation with tool calls and results."""
    out.write(f"run {record.id} · {_when(record.started_at)} · {record.model} · {record.status}")
    if record.finish_reason:
        out.write(f" ({record.finish_reason})")
    out.write("\n")
    seconds = f"{record.duration:.1f} s" if record.duration is not None else "-"
    out.write(
        f"turns: {record.turns or 0} · tokens: {record.input_tokens or 0} in / "
        f"{record.output_tokens or 0} out · {seconds}\n"
    )
    if record.error:
        out.write(f"error: {record.error}\n")
    out.write("\n")
    for message in record.transcript:
        match message:
            case SystemMessage(content=content):
                out.write(f"system: {content}\n")
            case UserMessage():
                out.write(f"user: {message.text}\n")
            case AssistantMessage(text=text, tool_calls=calls):
                if text:
                    out.write(f"assistant: {text}\n")
                for call in calls:
                    arguments = json.dumps(dict(call.arguments), ensure_ascii=False)
                    out.write(f"assistant → tool call {call.name} {arguments} [{call.id}]\n")
            case ToolMessage(content=content, is_error=is_error, name=name, tool_call_id=cid):
                label = "tool error" if is_error else "tool result"
                out.write(f"{label} ({name or '?'}) [{cid}]: {content}\n")


def conversation_to_dict(record: ConversationRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "model": record.model,
        "system": record.system,
        "options": record.options,
        "tools": record.tools,
        "runs": record.runs,
        "last_prompt": record.last_prompt,
    }


def print_conversations(
    records: list[ConversationRecord], out: TextIO, *, empty: bool = False
) -> None:
    """A table of conversations, the most recently active first."""
    if not records:
        out.write("no conversations logged yet\n" if empty else "no conversations match\n")
        return
    out.write(f"{'ID':8}  {'UPDATED':19}  {'MODEL':18}  {'RUNS':>4}  LAST PROMPT\n")
    for r in records:
        out.write(
            f"{r.id[:8]:8}  {_when(r.updated_at)}  {_one_line(r.model, 18):18}  {r.runs:>4}  "
            f"{_one_line(r.last_prompt, 50)}\n"
        )
