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


def test_recent_runs_come_newest_first_and_chats_resume(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = store.start(model="local", prompt="a", kind="chat", conversation="conv-1")
    store.finish(first, status="ok", transcript=[UserMessage("a")])
    second = store.start(model="local", prompt="b", kind="run")
    store.finish(second, status="interrupted", transcript=[UserMessage("b")])
    assert [r.id for r in store.recent()] == [second, first]
    assert [r.id for r in store.recent(limit=1)] == [second]
    last = store.last_conversation()
    assert last is not None and last.id == first and last.conversation == "conv-1"
    reopened = RunStore(tmp_path)
    assert [r.id for r in reopened.recent()] == [second, first]


def test_continue_resumes_the_last_exchange_that_finished_not_a_failed_one(
    tmp_path: Path,
) -> None:
    store = RunStore(tmp_path)
    good = store.start(model="local", prompt="a", kind="chat", conversation="conv-1")
    answered = [UserMessage("a"), AssistantMessage(text="A")]
    store.finish(good, status="ok", transcript=answered)
    # The next exchange was cut during a tool call: its transcript ends with a call that has no
    # result, which a provider rejects ("tool_calls must be followed by tool messages").
    cut = store.start(model="local", prompt="b", kind="chat", conversation="conv-1")
    dangling = AssistantMessage(tool_calls=(ToolCall("c1", "clock", {}),))
    store.finish(cut, status="interrupted", transcript=[*answered, UserMessage("b"), dangling])
    last = store.last_conversation()
    assert last is not None and last.id == good
    assert last.transcript == answered
    # A newer conversation whose only exchange failed has nothing to continue.
    failed = store.start(model="local", prompt="c", kind="chat", conversation="conv-2")
    store.finish(failed, status="error", transcript=[UserMessage("c")], error="boom")
    assert store.last_conversation() is None
