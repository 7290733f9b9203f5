"""The SQLite run log and where it lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmport.cli.store import RunStore, data_dir
from llmport.domain.events import Usage
from llmport.domain.messages import AssistantMessage, ToolCall, ToolMessage, UserMessage


def test_llmport_home_overrides_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMPORT_HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home"
    monkeypatch.delenv("LLMPORT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir().name == "llmport"


def test_a_run_is_stored_with_its_conversation_as_domain_json(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    transcript = [
        UserMessage("17 * 23?"),
        AssistantMessage(tool_calls=(ToolCall("c1", "calculator", {"expression": "17 * 23"}),)),
        ToolMessage("c1", "391", name="calculator"),
        AssistantMessage(text="391"),
    ]
    run_id = store.start(model="local", prompt="17 * 23?", kind="run")
    running = store.get(run_id)
    assert running is not None and running.status == "running"
    store.finish(
        run_id,
        status="ok",
        transcript=transcript,
        usage=Usage(100, 20),
        turns=2,
        finish_reason="stop",
    )
    record = store.get(run_id)
    assert record is not None
    assert record.status == "ok"
    assert (record.input_tokens, record.output_tokens, record.turns) == (100, 20, 2)
    assert record.transcript == transcript
    assert record.duration is not None and record.duration >= 0
    assert store.get(run_id + 100) is None
    store.close()


def test_recent_runs_come_newest_first_and_conversations_resume(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    restored = {"system": "Be brief.", "options": {"temperature": 0.2}, "tools": ["clock"]}
    first = store.start(model="local", prompt="a", kind="chat", conversation="conv-1", **restored)
    store.finish(first, status="ok", transcript=[UserMessage("a"), AssistantMessage("A")])
    second = store.start(model="openai:m", prompt="b", kind="run")
    store.finish(second, status="interrupted", transcript=[UserMessage("b")])
    assert [r.id for r in store.recent()] == [second, first]
    assert [r.id for r in store.recent(limit=1)] == [second]
    assert [r.id for r in store.recent(cid="conv-")] == [first]
    assert [r.id for r in store.recent(search="b")] == [second]
    latest = store.latest_conversation()
    assert latest is not None and latest.model == "openai:m"  # a run continues too
    conv = store.conversation("conv-1")
    assert conv is not None
    assert (conv.model, conv.system, conv.options, conv.tools) == (
        "local",
        "Be brief.",
        {"temperature": 0.2},
        ["clock"],
    )
    reopened = RunStore(tmp_path)
    assert [r.id for r in reopened.recent()] == [second, first]


def test_each_exchange_stores_only_its_new_messages(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    one = [UserMessage("a"), AssistantMessage("A")]
    first = store.start(model="local", prompt="a", kind="chat", conversation="c")
    store.finish(first, status="ok", transcript=one)
    second = store.start(model="local", prompt="b", kind="chat", conversation="c")
    two = [*one, UserMessage("b"), AssistantMessage("B")]
    store.finish(second, status="ok", transcript=two)
    record = store.get(second)
    assert record is not None and record.messages == two[2:]
    assert store.history("c") == two


def test_history_keeps_interrupted_exchanges_without_unanswered_calls(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    good = store.start(model="local", prompt="a", kind="chat", conversation="conv-1")
    answered = [UserMessage("a"), AssistantMessage(text="A")]
    store.finish(good, status="ok", transcript=answered)
    # The next exchange was cut during a tool call: the call has no result, which a provider
    # rejects ("tool_calls must be followed by tool messages"); the words around it stay.
    cut = store.start(model="local", prompt="b", kind="chat", conversation="conv-1")
    dangling = AssistantMessage(text="Let me see", tool_calls=(ToolCall("c1", "clock", {}),))
    store.finish(cut, status="interrupted", transcript=[*answered, UserMessage("b"), dangling])
    assert store.history("conv-1") == [*answered, UserMessage("b"), AssistantMessage("Let me see")]
    # A failed exchange is left out.
    failed = store.start(model="local", prompt="c", kind="chat", conversation="conv-1")
    store.finish(failed, status="error", transcript=[UserMessage("c")], error="boom")
    assert UserMessage("c") not in store.history("conv-1")


V1_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, kind TEXT NOT NULL,
    started_at REAL NOT NULL, duration REAL, model TEXT NOT NULL, prompt TEXT NOT NULL,
    status TEXT NOT NULL, finish_reason TEXT, input_tokens INTEGER, output_tokens INTEGER,
    turns INTEGER, error TEXT, transcript TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_conversation ON runs (conversation);
"""


def test_a_version_1_log_is_migrated_and_its_conversations_continue(tmp_path: Path) -> None:
    import sqlite3

    from llmport.domain.messages import messages_to_json

    whole = [UserMessage("a"), AssistantMessage("A"), UserMessage("b"), AssistantMessage("B")]
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:  # the schema as released before
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO runs (conversation, kind, started_at, model, prompt, status, "
                   "transcript) VALUES ('old', 'chat', 1.0, 'local', 'a', 'ok', ?)",
                   (messages_to_json(whole[:2]),))  # fmt: skip
        db.execute("INSERT INTO runs (conversation, kind, started_at, model, prompt, status, "
                   "transcript) VALUES ('old', 'chat', 2.0, 'openai:m', 'b', 'ok', ?)",
                   (messages_to_json(whole),))  # fmt: skip
    store = RunStore(tmp_path)
    assert store.schema_version == 2
    conv = store.conversation("old")
    assert conv is not None and conv.model == "openai:m" and conv.runs == 2
    assert store.history("old") == whole
    third = store.start(model="openai:m", prompt="c", kind="chat", conversation="old")
    store.finish(third, status="ok",
                 transcript=[*whole, UserMessage("c"), AssistantMessage("C")])  # fmt: skip
    assert store.history("old") == [*whole, UserMessage("c"), AssistantMessage("C")]
    assert RunStore(tmp_path).schema_version == 2  # migrated once


def test_reading_never_creates_the_log(tmp_path: Path) -> None:
    assert RunStore.existing(tmp_path / "nowhere") is None
    assert not (tmp_path / "nowhere").exists()
