"""Conversations in the CLI, in process over the scripted model (which echoes): ``run -c`` and
``--cid`` continue with the model, options, tools and system prompt restored; ``logs`` lists
and filters; reading never creates the log."""

from __future__ import annotations

import io
import json

import pytest

from llmport.cli.main import main
from llmport.cli.store import RunStore


def cli(argv: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_continue_restores_the_conversation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(["run", "-m", "scripted", "-s", "Be brief.", "--tool", "clock",
                "-o", "temperature", "0.3", "first"], capsys, monkeypatch)[0] == 0  # fmt: skip
    code, out, _ = cli(["run", "-c", "second"], capsys, monkeypatch)
    assert code == 0 and out == "You said: second\n"
    store = RunStore.existing()
    assert store is not None
    conv = store.latest_conversation()
    assert conv is not None
    assert (conv.model, conv.system, conv.options, conv.tools, conv.runs) == (
        "scripted",
        "Be brief.",
        {"temperature": 0.3},
        ["clock"],
        2,
    )
    history = store.history(conv.id)
    assert [m.content for m in history if m.role == "user"] == ["first", "second"]


def test_cid_picks_a_conversation_and_an_override_wins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(["run", "-m", "scripted", "one"], capsys, monkeypatch)
    cli(["run", "-m", "scripted", "two"], capsys, monkeypatch)
    store = RunStore.existing()
    assert store is not None
    first = store.conversations(limit=5)[-1]
    code, _, _ = cli(["run", "--cid", first.id[:8], "-s", "New system.", "three"],
                     capsys, monkeypatch)  # fmt: skip
    assert code == 0
    again = store.conversation(first.id)
    assert again is not None and again.system == "New system." and again.runs == 2
    assert [m.content for m in store.history(first.id) if m.role == "user"] == ["one", "three"]


def test_continuing_nothing_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli(["run", "-c", "hi"], capsys, monkeypatch)
    assert code == 2 and err.startswith("llmport: ") and "no conversation to continue" in err
    code, _, err = cli(["run", "--cid", "nope", "hi"], capsys, monkeypatch)
    assert code == 2 and "no conversation 'nope'" in err


def test_logs_lists_filters_and_never_creates_the_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = cli(["logs"], capsys, monkeypatch)
    assert code == 0 and out == "no runs logged yet\n"
    from llmport.cli.store import data_dir

    assert not (data_dir() / "runs.sqlite3").exists()
    cli(["run", "-m", "scripted", "apples"], capsys, monkeypatch)
    cli(["run", "-m", "scripted", "pears"], capsys, monkeypatch)
    _, out, _ = cli(["logs", "-n", "1", "--json"], capsys, monkeypatch)
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["prompt"] == "pears"
    _, out, _ = cli(["logs", "-q", "apples", "--json"], capsys, monkeypatch)
    assert [json.loads(line)["prompt"] for line in out.splitlines()] == ["apples"]
    _, out, _ = cli(["logs", "--conversations"], capsys, monkeypatch)
    assert out.splitlines()[0].split()[:3] == ["ID", "UPDATED", "MODEL"]
    assert len(out.splitlines()) == 3
    _, out, _ = cli(["logs", "--conversations", "--json"], capsys, monkeypatch)
    cid = json.loads(out.splitlines()[0])["id"]
    _, out, _ = cli(["logs", "--cid", cid[:6], "--json"], capsys, monkeypatch)
    assert [json.loads(line)["prompt"] for line in out.splitlines()] == ["pears"]
    assert cli(["logs", "-n", "0"], capsys, monkeypatch)[1] == ""


def test_tools_from_a_file_are_named_not_silently_dropped_on_continue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    tools = Path(str(tmp_path)) / "mine.py"
    tools.write_text(
        "from llmport import tool\n\n@tool\ndef shout(text: str) -> str:\n"
        '    """Upper-case the text."""\n    return text.upper()\n'
    )
    assert cli(["run", "-m", "scripted", "--tool", "clock", "--tools", str(tools), "first"],
               capsys, monkeypatch)[0] == 0  # fmt: skip
    code, out, err = cli(["run", "-c", "second"], capsys, monkeypatch)
    assert code == 0 and out == "You said: second\n"
    assert "not restored: shout" in err and "--tools FILE.py" in err and "clock" not in err
    code, _, err = cli(["run", "-c", "--tools", str(tools), "third"], capsys, monkeypatch)
    assert code == 0 and "not restored" not in err
