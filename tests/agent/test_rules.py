"""The between-turn rules shared by the in-process loop and durable runs."""

from __future__ import annotations

import pytest

from llmport.agent.errors import AgentIncompleteToolCallsError
from llmport.agent.rules import RepeatWatch, incomplete_calls, loop_text, max_turns_text
from llmport.domain.events import Done, FinishReason, Usage
from llmport.domain.messages import AssistantMessage, ToolCall

CALL = ToolCall("c1", "add", {"a": 1, "b": 2})
CUT = ToolCall("c2", "add", {}, complete=False, raw_arguments='{"a": 1, "b"')


def done(reason: FinishReason, *calls: ToolCall) -> Done:
    return Done(reason, None, None, AssistantMessage("", tool_calls=calls))


def test_complete_calls_of_a_tool_calls_turn_may_run() -> None:
    assert incomplete_calls(done(FinishReason.TOOL_CALLS, CALL), [CALL],
                            transcript=[], usage=Usage(), turns=1) is None  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "calls"),
    [(FinishReason.LENGTH, (CALL,)), (FinishReason.TOOL_CALLS, (CALL, CUT)),
     (FinishReason.MALFORMED_TOOL_CALL, (CUT,))],
)  # fmt: skip
def test_calls_that_may_not_run_are_an_error_naming_the_reason(
    reason: FinishReason, calls: tuple[ToolCall, ...]
) -> None:
    error = incomplete_calls(done(reason, *calls), calls, transcript=[], usage=Usage(3, 4),
                             turns=2)  # fmt: skip
    assert isinstance(error, AgentIncompleteToolCallsError)
    assert error.finish_reason is reason and tuple(error.calls) == calls
    assert error.turns == 2 and error.usage == Usage(3, 4)
    assert repr(reason.value) in error.message and f"{len(calls)} tool call(s)" in error.message


def test_the_same_batch_in_a_row_is_counted_whatever_the_key_order() -> None:
    watch = RepeatWatch()
    assert watch.see([CALL]) == 1
    assert watch.see([ToolCall("other-id", "add", {"b": 2, "a": 1})]) == 2
    assert watch.see([ToolCall("c3", "add", {"a": 1, "b": 3})]) == 1
    assert watch.see([ToolCall("c4", "add", {"a": 1, "b": 3})]) == 2
    assert watch.see([CALL, CALL]) == 1


def test_the_words() -> None:
    assert loop_text(3) == "the model made the same tool calls 3 times in a row"
    assert max_turns_text(1) == "the model was still calling tools after 1 turn"
    assert max_turns_text(5) == "the model was still calling tools after 5 turns"


def test_the_ledger_counts_turns_sums_usage_and_ends_the_run_with_what_it_has() -> None:
    from llmport.agent.errors import AgentLoopDetectedError, AgentMaxTurnsExceededError
    from llmport.agent.rules import RunLedger

    transcript: list = []
    ledger = RunLedger(transcript, max_turns=3, loop_limit=2)
    assert ledger.start_turn() == 1
    first = Done(
        FinishReason.TOOL_CALLS, None, Usage(3, 1), AssistantMessage("", tool_calls=(CALL,))
    )
    assert ledger.record(first) is first.message and transcript == [first.message]
    ledger.check_calls(first)
    assert ledger.start_turn() == 2
    ledger.record(Done(FinishReason.TOOL_CALLS, None, None, first.message))
    assert ledger.usage == Usage(3, 1)  # a turn without usage adds nothing
    with pytest.raises(AgentLoopDetectedError) as looped:
        ledger.check_calls(first)
    assert looped.value.message == loop_text(2) and looped.value.turns == 2
    assert ledger.start_turn() == 3
    with pytest.raises(AgentMaxTurnsExceededError) as spent:
        ledger.start_turn()
    assert spent.value.message == max_turns_text(3) and spent.value.usage == Usage(3, 1)
    assert list(spent.value.transcript) == transcript
    with pytest.raises(AgentIncompleteToolCallsError):
        ledger.check_calls(done(FinishReason.LENGTH, CALL))
