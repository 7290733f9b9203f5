"""Why an agent run ended without an answer.

``AgentError`` is the one exception ``Agent.run`` raises (besides cancellation). Its nested
classes say why, and every instance keeps what the run had produced so far: ``transcript``
(the conversation up to the failure), ``usage`` (summed over the turns that reported it) and
``turns``. A model port failure is ``AgentError.Internal``; the typed ``LlmError`` is its
``__cause__``, so a caller can still tell a rate limit from a reset::

    try:
        result = await agent.run("...")
    except AgentError.Internal as error:
        if isinstance(error.__cause__, RateLimitError): ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from llmport.domain.events import FinishReason, Usage
from llmport.domain.messages import AgentMessage, ToolCall

__all__ = [
    "AgentError",
    "AgentIncompleteToolCallsError",
    "AgentInternalError",
    "AgentLoopDetectedError",
    "AgentMaxTurnsExceededError",
]


class AgentError(Exception):
    """Base of every agent-run failure; carries the partial run."""

    Internal: ClassVar[type[AgentInternalError]]
    MaxTurnsExceeded: ClassVar[type[AgentMaxTurnsExceededError]]
    LoopDetected: ClassVar[type[AgentLoopDetectedError]]
    IncompleteToolCalls: ClassVar[type[AgentIncompleteToolCallsError]]

    def __init__(
        self,
        message: str,
        *,
        transcript: Sequence[AgentMessage] = (),
        usage: Usage | None = None,
        turns: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transcript: tuple[AgentMessage, ...] = tuple(transcript)
        self.usage = usage if usage is not None else Usage()
        self.turns = turns

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, turns={self.turns})"


class AgentInternalError(AgentError):
    """The model port failed (its typed ``LlmError`` is ``__cause__``)."""


class AgentMaxTurnsExceededError(AgentError):
    """The model was still calling tools after ``max_turns`` turns."""


class AgentLoopDetectedError(AgentError):
    """The model repeated the same tool batch ``loop_limit`` times in a row."""


class AgentIncompleteToolCallsError(AgentError):
    """The turn ended with tool calls that must not run (cut by ``LENGTH``, malformed ...).

    ``finish_reason`` says how the turn ended; ``calls`` are the calls that were not executed.
    """

    def __init__(
        self,
        message: str,
        *,
        finish_reason: FinishReason,
        calls: Sequence[ToolCall] = (),
        transcript: Sequence[AgentMessage] = (),
        usage: Usage | None = None,
        turns: int = 0,
    ) -> None:
        super().__init__(message, transcript=transcript, usage=usage, turns=turns)
        self.finish_reason = finish_reason
        self.calls = tuple(calls)


AgentError.Internal = AgentInternalError
AgentError.MaxTurnsExceeded = AgentMaxTurnsExceededError
AgentError.LoopDetected = AgentLoopDetectedError
AgentError.IncompleteToolCalls = AgentIncompleteToolCallsError
