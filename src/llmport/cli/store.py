"""The run log: every CLI run and chat exchange, in one SQLite file in the user data directory.

A run keeps its model, prompt, status (``ok``, ``error``, ``interrupted``), finish reason, token
usage, duration and the whole conversation as the domain's JSON
(``llmport.domain.messages.messages_to_json``), so ``llmport chat --continue`` can resume it
with any model, and ``llmport logs show ID`` can print its tool calls.

The directory is ``$LLMPORT_HOME`` when set, else the platform's user data directory
(``$XDG_DATA_HOME/llmport`` or ``~/.local/share/llmport`` on Linux, ``~/Library/Application
Support/llmport`` on macOS, ``%APPDATA%\\llmport`` on Windows).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from llmport.adapters.local.catalog import data_dir
from llmport.domain.events import Usage
from llmport.domain.messages import AgentMessage, messages_from_json, messages_to_json

__all__ = ["SCHEMA_VERSION", "ConversationRecord", "RunRecord", "RunStore", "data_dir"]

SCHEMA_VERSION: Final = 2
"""1: runs with a whole transcript each. 2: conversations (model, options, tools, system) and
each exchange's new messages only; version-1 logs are migrated in place when opened."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    started_at      REAL NOT NULL,
    duration        REAL,
    model           TEXT NOT NULL,
    prompt          TEXT NOT NULL,
    status          TEXT NOT NULL,
    finish_reason   TEXT,
    input_tokens    INTEGER,
    output_tokens   INTEGER,
    turns           INTEGER,
    error           TEXT,
    transcript      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS runs_conversation ON runs (conversation);
"""

_V2: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id          TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    model       TEXT NOT NULL,
    system      TEXT,
    options     TEXT,
    tools       TEXT NOT NULL DEFAULT '[]'
);
"""


_SELECT: Final = (
    "SELECT id, conversation, kind, started_at, duration, model, prompt, status, finish_reason, "
    "input_tokens, output_tokens, turns, error, transcript, base FROM runs"
)


# Optional filters as bound parameters (a NULL filter matches everything): constant SQL.
_RECENT: Final = (
    _SELECT + " WHERE (? IS NULL OR conversation LIKE ?)"
    " AND (? IS NULL OR prompt LIKE ? OR transcript LIKE ?) ORDER BY id DESC LIMIT ?"
)
_CONVERSATIONS: Final = (
    "SELECT c.id, c.created_at, c.model, c.system, c.options, c.tools, COUNT(r.id), "
    "(SELECT prompt FROM runs p WHERE p.conversation = c.id ORDER BY id DESC LIMIT 1), "
    "MAX(r.id), MAX(r.started_at) FROM conversations c JOIN runs r ON r.conversation = c.id "
    "WHERE (? IS NULL OR c.id LIKE ?) AND (? IS NULL OR EXISTS (SELECT 1 FROM runs s "
    "WHERE s.conversation = c.id AND (s.prompt LIKE ? OR s.transcript LIKE ?))) "
    "GROUP BY c.id ORDER BY MAX(r.id) DESC LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One stored run."""

    id: int
    conversation: str
    kind: str
    started_at: float
    duration: float | None
    model: str
    prompt: str
    status: str
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    turns: int | None
    error: str | None
    transcript_json: str
    base: int = 0
    """How many messages of the conversation came before this exchange (-1: a version-1 run,
    whose ``transcript`` is the whole conversation up to it)."""

    @property
    def messages(self) -> list[AgentMessage]:
        """What this exchange added (its prompt, the answer, tool calls and results)."""
        return messages_from_json(self.transcript_json)

    @property
    def transcript(self) -> list[AgentMessage]:
        return self.messages


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """A conversation: what to restore when it is continued, and its size."""

    id: str
    created_at: float
    model: str
    system: str | None
    options: dict[str, Any] | None
    tools: list[str]
    runs: int
    last_prompt: str
    updated_at: float


class RunStore:
    """The SQLite run log (``runs.sqlite3`` in ``directory``)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else data_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "runs.sqlite3"
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        self._migrate()

    @classmethod
    def existing(cls, directory: Path | None = None) -> RunStore | None:
        """The log if it exists: reading commands never create it."""
        folder = directory if directory is not None else data_dir()
        return cls(folder) if (folder / "runs.sqlite3").is_file() else None

    def _migrate(self) -> None:
        """Bring a version-1 log (or a new file) to the current schema, in one transaction."""
        with self._db:
            self._db.executescript(_V2)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 1
            if version >= SCHEMA_VERSION:
                return
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
            if "base" not in columns:
                # Version-1 runs keep their whole transcript: base -1 says so.
                self._db.execute("ALTER TABLE runs ADD COLUMN base INTEGER NOT NULL DEFAULT -1")
            self._db.execute(
                "INSERT OR IGNORE INTO conversations (id, created_at, model) "
                "SELECT conversation, MIN(started_at), "
                "(SELECT model FROM runs r2 WHERE r2.conversation = runs.conversation "
                " ORDER BY id DESC LIMIT 1) FROM runs GROUP BY conversation"
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 1

    def close(self) -> None:
        self._db.close()

    def start(
        self,
        *,
        model: str,
        prompt: str,
        kind: str,
        conversation: str | None = None,
        system: str | None = None,
        options: dict[str, Any] | None = None,
        tools: Sequence[str] = (),
    ) -> int:
        """Record a run that has started (in a new or a continued conversation); its id.

        The conversation keeps what continuing it restores: the model string, the options,
        the tool names and the system prompt of its latest exchange.
        """
        cid = conversation or uuid.uuid4().hex
        base = len(self.history(cid))
        now = time.time()
        with self._db:
            self._db.execute(
                "INSERT INTO conversations (id, created_at, model, system, options, tools) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET model = excluded.model, "
                "system = excluded.system, options = excluded.options, tools = excluded.tools",
                (cid, now, model, system, json.dumps(options) if options else None,
                 json.dumps(list(tools))),
            )  # fmt: skip
            cursor = self._db.execute(
                "INSERT INTO runs (conversation, kind, started_at, model, prompt, status, base) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (cid, kind, now, model, prompt, base),
            )
        run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def finish(
        self,
        run_id: int,
        *,
        status: str,
        transcript: Sequence[AgentMessage],
        usage: Usage | None = None,
        turns: int | None = None,
        finish_reason: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended; of ``transcript`` (the whole conversation) only what this
        exchange added is stored."""
        row = self._db.execute("SELECT base FROM runs WHERE id = ?", (run_id,)).fetchone()
        base = max(0, row[0]) if row else 0
        with self._db:
            self._db.execute(
                "UPDATE runs SET status = ?, duration = ? - started_at, finish_reason = ?, "
                "input_tokens = ?, output_tokens = ?, turns = ?, error = ?, transcript = ? "
                "WHERE id = ?",
                (
                    status,
                    time.time(),
                    finish_reason,
                    usage.input_tokens if usage is not None else None,
                    usage.output_tokens if usage is not None else None,
                    turns,
                    error,
                    messages_to_json(list(transcript)[base:]),
                    run_id,
                ),
            )

    # --- conversations -----------------------------------------------------------------------

    def history(self, conversation: str) -> list[AgentMessage]:
        """The conversation as it goes on: every finished or interrupted exchange, in order
        (a failed one is left out: it may end in tool calls without results)."""
        messages: list[AgentMessage] = []
        for record in self._records(
            _SELECT
            + " WHERE conversation = ? AND status IN ('ok', 'interrupted', 'empty') ORDER BY id",
            (conversation,),
        ):
            if record.base < 0:
                messages = record.messages  # a version-1 run: the whole conversation
            else:
                messages = [*messages[: record.base], *record.messages]
        return _answered(messages)

    def conversation(self, cid: str) -> ConversationRecord | None:
        found = self.conversations(limit=1, cid=cid)
        return found[0] if found else None

    def latest_conversation(self) -> ConversationRecord | None:
        """The conversation of the latest run, chat or run."""
        found = self.conversations(limit=1)
        return found[0] if found else None

    def conversations(
        self, *, limit: int = 20, cid: str | None = None, search: str | None = None
    ) -> list[ConversationRecord]:
        """Conversations, the most recently active first."""
        prefix = None if cid is None else cid + "%"
        text = f"%{search}%" if search else None
        cursor = self._db.execute(_CONVERSATIONS, (prefix, prefix, text, text, text, limit))
        rows = cursor.fetchall()
        return [
            ConversationRecord(
                id=row[0], created_at=row[1], model=row[2], system=row[3],
                options=json.loads(row[4]) if row[4] else None,
                tools=json.loads(row[5]) if row[5] else [], runs=row[6],
                last_prompt=row[7] or "", updated_at=row[9] or row[1],
            )
            for row in rows
        ]  # fmt: skip

    def _records(self, query: str, params: tuple[object, ...]) -> list[RunRecord]:
        return [RunRecord(*row) for row in self._db.execute(query, params).fetchall()]

    def recent(
        self, limit: int = 20, *, cid: str | None = None, search: str | None = None
    ) -> list[RunRecord]:
        """The latest runs, newest first (of one conversation, or matching a text)."""
        prefix = None if cid is None else cid + "%"
        text = f"%{search}%" if search else None
        return self._records(_RECENT, (prefix, prefix, text, text, text, limit))

    def get(self, run_id: int) -> RunRecord | None:
        found = self._records(_SELECT + " WHERE id = ?", (run_id,))
        return found[0] if found else None


def _answered(messages: list[AgentMessage]) -> list[AgentMessage]:
    """``messages`` without tool calls that never got a result (an interrupted exchange):
    providers reject a history that has them."""
    from llmport.domain.messages import AssistantMessage, ToolMessage

    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    out: list[AgentMessage] = []
    for message in messages:
        kept_message: AgentMessage = message
        if isinstance(message, AssistantMessage) and message.tool_calls:
            kept = tuple(c for c in message.tool_calls if c.id in answered)
            if len(kept) != len(message.tool_calls):
                if not kept and not message.text:
                    continue
                kept_message = AssistantMessage(message.text, kept, message.reasoning,
                                                message.refusal, message.provider_blocks,
                                                message.layout)  # fmt: skip
        out.append(kept_message)
    return out
