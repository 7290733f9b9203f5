"""The conformance kit: checks that a port keeps the stream contract of ``llmport.ports``.

For anyone who writes an adapter. Run your port against a few requests (a plain answer, a tool
call, a failure) and let these functions consume the streams and assert every rule::

    outcome = await check_port(port, [UserMessage("hi")])
    assert outcome.done is not None

``check_stream`` consumes one stream and raises ``ContractViolation`` (an ``AssertionError``)
naming the broken rule; ``check_cancellation`` closes a stream mid-way and checks that nothing
more comes out. The same functions run over every adapter in llmport's own test suite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmport.domain.errors import LlmError
from llmport.domain.events import (
    Done,
    FinishReason,
    LlmStreamEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import AgentMessage
from llmport.domain.tools import ToolDefinition
from llmport.ports import LlmCompletionPort, LlmEventStream

__all__ = [
    "ContractViolation",
    "StreamOutcome",
    "check_cancellation",
    "check_port",
    "check_stream",
]


class ContractViolation(AssertionError):
    """A port broke a rule of the stream contract."""


@dataclass
class StreamOutcome:
    """What a consumer saw: the events before the terminal, and the terminal itself."""

    events: list[LlmStreamEvent] = field(default_factory=list)
    done: Done | None = None
    error: LlmError | None = None

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))

    @property
    def reasoning(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, ReasoningDelta))

    @property
    def tool_call_deltas(self) -> list[ToolCallDelta]:
        return [e for e in self.events if isinstance(e, ToolCallDelta)]


def _require(condition: bool, rule: str) -> None:
    if not condition:
        raise ContractViolation(rule)


def _only_llm_errors(where: str, error: Exception) -> str:
    return f"{where} may raise only LlmError, not {type(error).__name__}: {error}"


def _check_usage(usage: Usage | None) -> None:
    if usage is None:
        return
    _require(isinstance(usage, Usage), f"Done.usage must be Usage or None, got {usage!r}")
    for name in ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"):
        value = getattr(usage, name)
        _require(
            isinstance(value, int) and value >= 0, f"Usage.{name} must be an int >= 0: {value!r}"
        )


def _check_done(done: Done, outcome: StreamOutcome) -> None:
    _require(isinstance(done.finish_reason, FinishReason), "Done.finish_reason is a FinishReason")
    _require(
        done.raw_finish_reason is None or isinstance(done.raw_finish_reason, str),
        "Done.raw_finish_reason is a str or None",
    )
    _check_usage(done.usage)
    message = done.message
    _require(
        message.text == outcome.text,
        "Done.message.text equals the concatenated TextDeltas "
        f"({message.text[:60]!r} != {outcome.text[:60]!r})",
    )
    reasoning = "".join(part.text for part in message.reasoning)
    _require(reasoning == outcome.reasoning, "the reasoning parts hold the ReasoningDelta text")
    deltas = outcome.tool_call_deltas
    _require(
        bool(deltas) == bool(message.tool_calls),
        "Done.message has tool calls exactly when ToolCallDeltas were streamed",
    )
    for call in message.tool_calls:
        _require(bool(call.id), "every assembled tool call has an id")
        if call.complete:
            _require(isinstance(call.arguments, dict), "complete tool call arguments are a dict")
            json.dumps(call.arguments)  # must be JSON data
    if message.tool_calls and all(c.complete for c in message.tool_calls):
        _require(
            done.finish_reason is not FinishReason.STOP,
            "STOP with complete tool calls must be promoted to TOOL_CALLS",
        )
    if any(not c.complete for c in message.tool_calls):
        _require(
            done.finish_reason is not FinishReason.TOOL_CALLS,
            "a turn with incomplete tool calls cannot finish with TOOL_CALLS",
        )


async def check_stream(stream: LlmEventStream) -> StreamOutcome:
    """Consume ``stream`` and assert the contract; return what was seen."""
    outcome = StreamOutcome()
    _require(
        isinstance(stream, LlmEventStream), "chat_stream returns an LlmEventStream (async iterator)"
    )
    async with stream:
        try:
            async for event in stream:
                _require(outcome.done is None, "nothing may follow Done")
                if isinstance(event, Done):
                    outcome.done = event
                elif isinstance(event, TextDelta | ReasoningDelta | ToolCallDelta):
                    outcome.events.append(event)
                else:
                    raise ContractViolation(f"not an LlmStreamEvent: {event!r}")
        except LlmError as error:
            _require(outcome.done is None, "no error after Done")
            outcome.error = error
            _require(
                error.after_output == bool(outcome.events),
                f"LlmError.after_output must be {bool(outcome.events)} "
                f"after {len(outcome.events)} events",
            )
            _require(bool(error.provider), "LlmError.provider is set")
        except ContractViolation:
            raise
        except Exception as error:  # a raw JSONDecodeError, httpx error, KeyError ...
            raise ContractViolation(_only_llm_errors("a stream", error)) from error
        _require(
            (outcome.done is None) != (outcome.error is None),
            "exactly one terminal: a Done or a raised LlmError",
        )
        # After the terminal, the stream is exhausted for good.
        for _ in range(2):
            try:
                extra = await stream.__anext__()
            except StopAsyncIteration:
                continue
            raise ContractViolation(f"an item came after the terminal: {extra!r}")
    if outcome.done is not None:
        _check_done(outcome.done, outcome)
    await stream.aclose()  # idempotent
    return outcome


async def check_port(
    port: LlmCompletionPort,
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition] = (),
) -> StreamOutcome:
    """Send one request through ``port`` and check its stream.

    An ``LlmError`` raised by ``chat_stream`` itself (the request could not start) is returned
    as the outcome's error, with ``after_output`` required to be False.
    """
    try:
        stream = await port.chat_stream(messages, tools)
    except LlmError as error:
        _require(not error.after_output, "an error before the stream started has no output")
        return StreamOutcome(error=error)
    except Exception as error:
        raise ContractViolation(_only_llm_errors("chat_stream", error)) from error
    return await check_stream(stream)


async def check_cancellation(
    port: LlmCompletionPort,
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition] = (),
    *,
    after_events: int = 1,
) -> int:
    """Close a stream after ``after_events`` events; assert nothing more comes and no error.

    Returns how many events were read before closing.
    """
    stream = await port.chat_stream(messages, tools)
    seen = 0
    async with stream:
        async for event in stream:
            if isinstance(event, Done):
                break
            seen += 1
            if seen >= after_events:
                break
    await stream.aclose()
    try:
        extra = await stream.__anext__()
    except StopAsyncIteration:
        return seen
    except Exception as error:
        raise ContractViolation(
            f"nothing may come after aclose(), not even an error: {type(error).__name__}"
        ) from error
    raise ContractViolation(f"an item came after aclose(): {extra!r}")
