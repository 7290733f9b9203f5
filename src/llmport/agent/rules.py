"""The rules that end a run between turns, in one place for the in-process loop (``Agent``) and
for durable runs (``llmport.durable.drive``): both stop for the same reasons, with the same
typed errors and the same words.

- a turn whose tool calls may not run (it ended for another reason than ``TOOL_CALLS``, or a
  call is incomplete) is ``AgentError.IncompleteToolCalls``; nothing of it is executed;
- the same batch of calls (names and arguments) ``loop_limit`` times in a row is
  ``AgentError.LoopDetected``;
- ``max_turns`` model turns that still end in calls is ``AgentError.MaxTurnsExceeded``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from llmport.agent.errors import AgentIncompleteToolCallsError
from llmport.domain.events import Done, FinishReason, Usage
from llmport.domain.messages import AgentMessage, ToolCall

__all__ = ["RepeatWatch", "incomplete_calls", "loop_text", "max_turns_text"]


def incomplete_calls(
    done: Done,
    calls: Sequence[ToolCall],
    *,
    transcript: Sequence[AgentMessage],
    usage: Usage,
    turns: int,
) -> AgentIncompleteToolCallsError | None:
    """The error to raise when the calls of this turn must not run, else None."""
    if done.finish_reason is FinishReason.TOOL_CALLS and all(c.complete for c in calls):
        return None
    return AgentIncompleteToolCallsError(
        f"the turn ended with {done.finish_reason.value!r} and "
        f"{len(calls)} tool call(s) that were not executed",
        finish_reason=done.finish_reason,
        calls=calls,
        transcript=transcript,
        usage=usage,
        turns=turns,
    )


class RepeatWatch:
    """Counts how many turns in a row made the very same batch of tool calls."""

    __slots__ = ("_last", "repeats")

    def __init__(self) -> None:
        self._last: tuple[tuple[str, str], ...] | None = None
        self.repeats = 0

    def see(self, calls: Sequence[ToolCall]) -> int:
        """Record this turn's batch; return how many times in a row it has now been made."""
        batch = tuple((c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c in calls)
        self.repeats = self.repeats + 1 if batch == self._last else 1
        self._last = batch
        return self.repeats


def loop_text(repeats: int) -> str:
    return f"the model made the same tool calls {repeats} times in a row"


def max_turns_text(max_turns: int) -> str:
    return (
        f"the model was still calling tools after {max_turns} turn{'s' if max_turns != 1 else ''}"
    )
