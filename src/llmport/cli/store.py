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

import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from llmport.adapters.local.catalog import data_dir
from llmport.domain.events import Usage
from llmport.domain.messages import AgentMessage, messages_from_json, messages_to_json

__all__ = ["RunRecord", "RunStore", "data_dir"]

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

_SELECT: Final = (
    "SELECT id, conversation, kind, started_at, duration, model, prompt, status, finish_reason, "
    "input_tokens, output_tokens, turns, error, transcript FROM runs"
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

    @property
    def transcript(self) -> list[AgentMessage]:
        return messages_from_json(self.transcript_json)


class RunStore:
    """The SQLite run log (``runs.sqlite3`` in ``directory``)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else data_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "runs.sqlite3"
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def start(self, *, model: str, prompt: str, kind: str, conversation: str | None = None) -> int:
        """Record a run that has started; returns its id."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (conversation, kind, started_at, model, prompt, status) "
                "VALUES (?, ?, ?, ?, ?, 'running')",
                (conversation or uuid.uuid4().hex, kind, time.time(), model, prompt),
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
        """Record how a run ended, with its conversation."""
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
                    messages_to_json(transcript),
                    run_id,
                ),
            )

    def _records(self, query: str, params: tuple[object, ...]) -> list[RunRecord]:
        return [RunRecord(*row) for row in self._db.execute(query, params).fetchall()]

    def recent(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        return self._records(_SELECT + " ORDER BY id DESC LIMIT ?", (limit,))

    def get(self, run_id: int) -> RunRecord | None:
        found = self._records(_SELECT + " WHERE id = ?", (run_id,))
        return found[0] if found else None

    def last_conversation(self) -> RunRecord | None:
        """The latest finished run of the latest chat (or, if there is none, of the latest run).

        Only an ``ok`` run is resumed, as a chat session itself keeps its history only from
        finished exchanges: a failed or interrupted one may end with tool calls that have no
        result, which providers reject in the next request.
        """
        latest = self._db.execute(
            "SELECT conversation FROM runs ORDER BY kind = 'chat' DESC, id DESC LIMIT 1"
        ).fetchone()
        if latest is None:
            return None
        found = self._records(
            _SELECT + " WHERE conversation = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
            (latest[0],),
        )
        return found[0] if found else None
