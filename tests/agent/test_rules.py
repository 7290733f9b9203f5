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
