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

from llmport.agent.errors import (
    AgentError,
    AgentIncompleteToolCallsError,
    AgentLoopDetectedError,
    AgentMaxTurnsExceededError,
)
from llmport.domain.events import Done, FinishReason, Usage
from llmport.domain.messages import AgentMessage, AssistantMessage, ToolCall

__all__ = ["RepeatWatch", "RunLedger", "incomplete_calls", "loop_text", "max_turns_text"]


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


class RunLedger:
    """A run's account, kept the same way by the ``Agent`` and by durable runs: the transcript
    (the caller's list, appended to), the usage summed over the turns, the turn count, and the
    typed errors that end the run carrying all three."""

    __slots__ = ("_loop_limit", "_max_turns", "_repeat", "transcript", "turns", "usage")

    def __init__(self, transcript: list[AgentMessage], *, max_turns: int, loop_limit: int) -> None:
        self.transcript = transcript
        self.usage = Usage()
        self.turns = 0
        self._max_turns = max_turns
        self._loop_limit = loop_limit
        self._repeat = RepeatWatch()

    def fail(self, error: type[AgentError], message: str) -> AgentError:
        """The error ``error`` ending the run now, with what the run has so far."""
        return error(message, transcript=self.transcript, usage=self.usage, turns=self.turns)

    def start_turn(self) -> int:
        """Count a new model turn; ``MaxTurnsExceeded`` once ``max_turns`` are spent."""
        if self.turns >= self._max_turns:
            raise self.fail(AgentMaxTurnsExceededError, max_turns_text(self._max_turns))
        self.turns += 1
        return self.turns

    def record(self, done: Done) -> AssistantMessage:
        """Add the turn's usage and message to the run; return the message."""
        if done.usage is not None:
            self.usage = self.usage + done.usage
        self.transcript.append(done.message)
        return done.message

    def check_calls(self, done: Done) -> None:
        """Raise when the turn's calls may not run (``IncompleteToolCalls``) or repeat the
        previous turns' batch ``loop_limit`` times in a row (``LoopDetected``)."""
        calls = done.message.tool_calls
        incomplete = incomplete_calls(
            done, calls, transcript=self.transcript, usage=self.usage, turns=self.turns
        )
        if incomplete is not None:
            raise incomplete
        if self._repeat.see(calls) >= self._loop_limit:
            raise self.fail(AgentLoopDetectedError, loop_text(self._repeat.repeats))
