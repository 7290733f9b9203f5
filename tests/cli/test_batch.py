"""``llmport batch``: prompts from JSONL, results and transcripts in --out, resumable, bad input
said in one line. Run in process through ``main`` (the scripted model echoes each prompt);
the Ray path is tested with the Ray session in tests/ray/test_batch.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmport.batch import read_results
from llmport.cli.batch import BatchAgent, read_prompts
from llmport.cli.main import main
from llmport.cli.session import CliError


def write_prompts(path: Path, lines: list[object]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n")
    return path


def test_a_batch_writes_one_record_and_one_transcript_per_prompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = write_prompts(
        tmp_path / "p.jsonl",
        [
            "plain",
            {"id": "named", "prompt": "with an id"},
            {"messages": [{"role": "user", "content": "as messages"}]},
        ],
    )
    out = tmp_path / "out"
    code = main(["batch", str(prompts), "--model", "scripted", "--out", str(out)])
    assert code == 0
    assert "3 runs done, 0 failed" in capsys.readouterr().out
    found = read_results(out)
    assert {k: v.text for k, v in found.items()} == {
        "0": "You said: plain",
        "named": "You said: with an id",
        "2": "You said: as messages",
    }
    assert sorted(p.name for p in (out / "transcripts").iterdir()) == [
        "0.json", "2.json", "named.json",
    ]  # fmt: skip

    assert main(["batch", str(prompts), "--model", "scripted", "--out", str(out)]) == 0
    assert "0 runs done, 0 failed, 3 already done" in capsys.readouterr().out
    assert main(["batch", str(prompts), "-m", "scripted", "--out", str(out), "--fresh"]) == 0
    assert "3 runs done" in capsys.readouterr().out
    assert len((out / "results.jsonl").read_text().splitlines()) == 3


def test_a_failed_run_makes_exit_code_1_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-batch-cli-sentinel-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    prompts = write_prompts(tmp_path / "p.jsonl", ["a", "b"])
    out = tmp_path / "o"
    code = main(
        [
            "batch",
            str(prompts),
            "-m",
            "openai:gpt-x",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--out",
            str(out),
        ]
    )  # fmt: skip  (nothing listens on port 9: each run fails to connect)
    assert code == 1
    assert "2 runs done, 2 failed" in capsys.readouterr().out
    records = read_results(out)
    assert {r.error_cause for r in records.values()} == {"LlmConnectionError"}
    written = (out / "results.jsonl").read_text() + "".join(
        p.read_text() for p in (out / "transcripts").iterdir()
    )
    assert secret not in written


def test_an_unknown_model_is_a_usage_error_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = write_prompts(tmp_path / "p.jsonl", ["a"])
    assert main(["batch", str(prompts), "-m", "nosuch:x", "--out", str(tmp_path / "o")]) == 2
    assert "unknown model prefix" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json\n", "p.jsonl:1"),
        ('"ok"\n42\n', "p.jsonl:2: a line must be"),
        ('{"prompt": 3}\n', "needs a prompt"),
        ('{"id": [1], "prompt": "x"}\n', "id must be"),
        ("\n\n", "holds no prompts"),
    ],
)
def test_a_bad_prompts_file_names_the_line(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content)
    with pytest.raises(CliError, match=why):
        read_prompts(path)


def test_repeated_ids_and_a_missing_file_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = write_prompts(tmp_path / "p.jsonl", [{"id": "a", "prompt": "x"}] * 2)
    assert main(["batch", str(prompts), "-m", "scripted", "--out", str(tmp_path / "o")]) == 2
    assert "given twice" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "none"), "-m", "scripted", "--out", "o"]) == 2
    assert "no prompts file" in capsys.readouterr().err


def test_the_factory_carries_no_key_and_builds_on_the_worker() -> None:
    factory = BatchAgent("scripted", system="s", max_turns=3)
    assert "key" not in repr(factory).lower()
    agent = factory("run-1")
    assert agent.system == "s" and agent.max_turns == 3
