"""The output directory: a line means done (its transcript is there); a cut line is not."""

from __future__ import annotations

import json
from pathlib import Path

from llmport import AssistantMessage, Usage, UserMessage, messages_from_json
from llmport.batch import ResultStore, RunRecord, read_results


def record(run_id: str, status: str = "ok") -> RunRecord:
    return RunRecord(
        run_id,
        status,  # type: ignore[arg-type]
        "hi" if status == "ok" else None,
        Usage(1, 2),
        1,
        0.1,
        transcript=(UserMessage("q"), AssistantMessage("hi")),
    )


def test_records_and_transcripts_are_written_and_read_back(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        store.write(record("a"))
        store.write(record("b", "failed"))
    found = read_results(tmp_path)
    assert sorted(found) == ["a", "b"]
    assert found["b"].status == "failed"
    saved = json.loads((tmp_path / "transcripts" / "a.json").read_text())
    assert saved["id"] == "a" and saved["status"] == "ok"
    assert messages_from_json(json.dumps(saved["messages"])) == [
        UserMessage("q"),
        AssistantMessage("hi"),
    ]


def test_a_line_cut_by_a_crash_is_not_a_record_and_is_cut_off(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        store.write(record("a"))
    results = tmp_path / "results.jsonl"
    with results.open("a") as file:
        file.write('{"id": "b", "stat')
    assert sorted(read_results(tmp_path)) == ["a"]
    with ResultStore(tmp_path) as store:
        assert sorted(store.done) == ["a"]
        store.write(record("b"))
    assert sorted(read_results(tmp_path)) == ["a", "b"]
    assert all(json.loads(line) for line in results.read_text().splitlines())


def test_without_resume_the_results_start_over(tmp_path: Path) -> None:
    with ResultStore(tmp_path) as store:
        store.write(record("a"))
    with ResultStore(tmp_path, resume=False) as store:
        assert store.done == {}
        store.write(record("b"))
    assert sorted(read_results(tmp_path)) == ["b"]
