"""Batch records: ids, the JSON line, and what a failure keeps."""

from __future__ import annotations

import pytest

from llmport import AgentError, RateLimitError, Usage, UserMessage
from llmport.batch import BatchItem, RunRecord, run_one
from llmport.batch.records import check_id
from llmport.domain.redaction import register_secret
from tests.support.batch_agents import ScriptedBatchAgent


@pytest.mark.parametrize("good", ["0", "run-17", "a.b_c", "X" * 128])
def test_usable_ids_pass(good: str) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", ".hidden", "-x", "x" * 129, "sp ace"])
def test_ids_that_are_not_safe_file_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="run id"):
        check_id(bad)


def test_a_record_line_round_trips_without_its_transcript() -> None:
    record = RunRecord("r-1", "ok", "hi", Usage(3, 4), 2, 0.5, transcript=(UserMessage("x"),))
    back = RunRecord.from_dict(record.to_dict())
    assert back == RunRecord("r-1", "ok", "hi", Usage(3, 4), 2, 0.5)
    with pytest.raises(ValueError, match="status"):
        RunRecord.from_dict({**record.to_dict(), "status": "maybe"})


def test_a_failure_keeps_the_partial_run_and_names_the_error_and_its_cause() -> None:
    cause = RateLimitError("slow down")
    error = AgentError.Internal(
        "the model failed: slow down", transcript=[UserMessage("x")], usage=Usage(1, 1), turns=2
    )
    error.__cause__ = cause
    record = RunRecord.failure("r", error, 1.0)
    assert (record.status, record.turns, record.usage) == ("failed", 2, Usage(1, 1))
    assert (record.error_type, record.error_cause) == ("AgentInternalError", "RateLimitError")
    assert record.transcript == (UserMessage("x"),)


def test_a_secret_in_an_error_message_is_scrubbed() -> None:
    secret = "sk-batch-sentinel-0123456789abcdef"
    register_secret(secret)
    record = RunRecord.failure("r", ValueError(f"bad key {secret}"), 0.0)
    assert secret not in (record.error or "")
    assert record.error_type == "ValueError"


async def test_run_one_turns_every_outcome_into_a_record() -> None:
    agents = ScriptedBatchAgent()
    ok = await run_one(agents, BatchItem("run-1", "go"))
    assert (ok.status, ok.text, ok.turns, ok.usage) == ("ok", "answer 1", 2, Usage(30, 5))
    failed = await run_one(agents, BatchItem("run-7", "go"))
    assert (failed.status, failed.error_cause, failed.turns) == ("failed", "RateLimitError", 2)
    tool_failed = await run_one(agents, BatchItem("run-3", "go"))
    assert tool_failed.ok and "lookup failed by design" in tool_failed.transcript[2].content  # type: ignore[union-attr]

    def broken_factory(run_id: str) -> object:
        raise KeyError(run_id)

    broken = await run_one(broken_factory, BatchItem("run-2", "go"))  # type: ignore[arg-type]
    assert (broken.status, broken.error_type, broken.turns) == ("failed", "KeyError", 0)


async def test_usage_no_turn_reported_stays_unknown_never_zero() -> None:
    from llmport import Agent
    from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn

    silent = await run_one(lambda _: Agent(ScriptedAdapter([ScriptedTurn.text("hi")])),
                           BatchItem("quiet", "go"))  # fmt: skip
    assert silent.ok and silent.usage is None
    assert RunRecord.from_dict(silent.to_dict()).usage is None

    failing = ScriptedAdapter([ScriptedTurn((), start_error=RateLimitError("no", provider="p"))])
    failed = await run_one(lambda _: Agent(failing), BatchItem("quiet-fail", "go"))
    assert not failed.ok and failed.usage is None

    counted = await run_one(
        lambda _: Agent(ScriptedAdapter([ScriptedTurn.text("hi", usage=Usage(0, 0))])),
        BatchItem("counted", "go"),
    )
    assert counted.usage == Usage(0, 0)  # reported zero is a figure, not unknown
