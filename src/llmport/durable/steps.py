"""The two step kinds as functions of JSON text, so any engine can checkpoint their output.

``model_turn_step(payload, resolve)`` gets the port for the model string on the worker (the
resolver owns it and may reuse it), streams one turn and returns the ``Done`` as JSON; a
failure is raised as the typed ``LlmError`` (``should_retry`` tells the engine whether to run
the step again).
``tool_call_step(payload, key, tools)`` runs one call with the loop's own rules
(``agent.calls.execute_call``) and returns the ``ToolMessage`` as JSON; it never raises for a
tool's failure (that is an error result for the model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from llmport.agent.calls import Approver, execute_call
from llmport.domain.errors import LlmError, StreamTruncatedError
from llmport.domain.events import Done
from llmport.domain.messages import (
    AgentMessage,
    ToolCall,
    ToolMessage,
    message_from_dict,
    message_to_dict,
)
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition
from llmport.durable.keys import StepKey, step_key
from llmport.ports import LlmCompletionPort, ToolExecutorPort

__all__ = [
    "ModelResolver",
    "ModelTurn",
    "complete",
    "connect_without_retries",
    "done_from_json",
    "model_turn_step",
    "should_retry",
    "tool_call_step",
    "tool_message_from_json",
]

ModelResolver: TypeAlias = Callable[[str], LlmCompletionPort]
"""Builds the port for a model string on the worker (``connect`` by default)."""


@dataclass(frozen=True)
class ModelTurn:
    """The input of a model-turn step."""

    model: str
    messages: tuple[AgentMessage, ...]
    tools: tuple[ToolDefinition, ...] = ()
    options: CallOptions | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "model": self.model,
                "messages": [message_to_dict(m) for m in self.messages],
                "tools": [t.to_dict() for t in self.tools],
                "options": None if self.options is None else self.options.to_dict(),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ModelTurn:
        data = json.loads(text)
        if not isinstance(data, Mapping):
            raise ValueError("a model turn must be a JSON object")
        model, messages, tools = data.get("model"), data.get("messages"), data.get("tools", [])
        options = data.get("options")
        if not isinstance(model, str) or not model:
            raise ValueError("a model turn needs a model string")
        if not isinstance(messages, list) or not isinstance(tools, list):
            raise ValueError("a model turn's messages and tools must be JSON lists")
        return cls(
            model,
            tuple(message_from_dict(m) for m in messages),
            tuple(ToolDefinition.from_dict(t) for t in tools),
            None if options is None else CallOptions.from_dict(options),
        )


async def complete(
    port: LlmCompletionPort,
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition] = (),
    options: CallOptions | None = None,
) -> Done:
    """Stream one turn to its end and return its ``Done`` (or raise the typed ``LlmError``)."""
    if options is None:  # the two-argument call every port accepts
        stream = await port.chat_stream(messages, tools)
    else:
        stream = await port.chat_stream(messages, tools, options=options)
    done: Done | None = None
    async with stream:
        async for event in stream:
            if isinstance(event, Done):
                done = event
    if done is None:
        raise StreamTruncatedError("the model stream ended without Done")
    return done


async def model_turn_step(payload: str, resolve: ModelResolver) -> str:
    """One model turn: ``ModelTurn`` JSON in, ``Done`` JSON out."""
    turn = ModelTurn.from_json(payload)
    try:
        done = await complete(resolve(turn.model), turn.messages, turn.tools, turn.options)
    except LlmError:
        raise
    except Exception as error:  # a port that breaks the contract (only LlmError)
        raise LlmError(
            f"the model port broke its contract: {type(error).__name__}: {error}"
        ) from error
    return json.dumps(done.to_dict(), ensure_ascii=False)


def connect_without_retries(model: str) -> LlmCompletionPort:
    """``connect(model)`` with the adapter's own retries off (``max_retries=0``) where the
    adapter has them, so that an engine's step retries are the only ones (one layer)."""
    from llmport.connect import connect

    try:
        return connect(model, max_retries=0)
    except TypeError:  # an adapter without HTTP retries (scripted, local ...)
        return connect(model)


def done_from_json(text: str) -> Done:
    data: Any = json.loads(text)
    return Done.from_dict(data)


def should_retry(error: BaseException) -> bool:
    """Whether an engine should run a failed step again: only for a ``retryable`` LlmError."""
    return isinstance(error, LlmError) and error.retryable


async def tool_call_step(
    payload: str,
    key: StepKey,
    tools: ToolExecutorPort,
    *,
    tool_timeout: float | None = 60.0,
    approve: Approver | None = None,
) -> str:
    """One tool call: ``ToolCall`` JSON in, ``ToolMessage`` JSON out, run under ``key``."""
    call = ToolCall.from_dict(json.loads(payload))
    with step_key(key):
        result = await execute_call(tools, call, tool_timeout=tool_timeout, approve=approve)
    return json.dumps(result.to_dict(), ensure_ascii=False)


def tool_message_from_json(text: str) -> ToolMessage:
    data: Any = json.loads(text)
    return ToolMessage.from_dict(data)
