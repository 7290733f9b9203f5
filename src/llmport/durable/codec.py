"""A run's outcome as JSON: an ``AgentResult`` or an ``AgentError`` with its typed cause.

An engine records what a workflow returns; returning this JSON (instead of raising) keeps the
record readable by any process, and ``outcome_from_json`` gives the caller back the same
result, or raises the same ``AgentError`` subclass with its partial transcript, usage, turns
and a ``__cause__`` of the same ``LlmError`` subclass (message and facts; no traceback).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llmport.agent.errors import (
    AgentError,
    AgentIncompleteToolCallsError,
    AgentInternalError,
    AgentLoopDetectedError,
    AgentMaxTurnsExceededError,
)
from llmport.agent.loop import AgentResult
from llmport.domain import errors as llm_errors
from llmport.domain.errors import LlmError
from llmport.domain.events import FinishReason, Usage
from llmport.domain.messages import (
    AssistantMessage,
    ToolCall,
    message_from_dict,
    message_to_dict,
)
from llmport.domain.redaction import redact

__all__ = ["outcome_from_json", "outcome_to_json"]

_AGENT_ERRORS: dict[str, type[AgentError]] = {
    cls.__name__: cls
    for cls in (
        AgentError,
        AgentInternalError,
        AgentMaxTurnsExceededError,
        AgentLoopDetectedError,
        AgentIncompleteToolCallsError,
    )
}


def _llm_error_to_dict(error: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(error).__name__, "message": redact(str(error))}
    if isinstance(error, LlmError):
        out.update(
            message=redact(error.message),
            provider=error.provider,
            status_code=error.status_code,
            retryable=error.retryable,
            retry_after=error.retry_after,
            code=error.code,
        )
    return out


def _llm_error_from_dict(data: Mapping[str, Any]) -> Exception:
    found = getattr(llm_errors, str(data.get("type")), None)
    message = str(data.get("message", ""))
    if not (isinstance(found, type) and issubclass(found, LlmError)):
        return LlmError(f"{data.get('type')}: {message}")
    if found is llm_errors.StreamInBandError:
        found = LlmError  # its category came from its cause; keep the facts only
    return found(
        message,
        provider=data.get("provider"),
        status_code=data.get("status_code"),
        retryable=data.get("retryable"),
        retry_after=data.get("retry_after"),
        code=data.get("code"),
    )


def outcome_to_json(outcome: AgentResult | AgentError) -> str:
    """The JSON of a finished run (its result) or a failed one (its error)."""
    if isinstance(outcome, AgentResult):
        return json.dumps(
            {
                "result": {
                    "transcript": [message_to_dict(m) for m in outcome.transcript],
                    "usage": outcome.usage.to_dict(),
                    "turns": outcome.turns,
                    "finish_reason": outcome.finish_reason.value,
                }
            },
            ensure_ascii=False,
        )
    error: dict[str, Any] = {
        "type": type(outcome).__name__,
        "message": redact(outcome.message),
        "transcript": [message_to_dict(m) for m in outcome.transcript],
        "usage": outcome.usage.to_dict(),
        "turns": outcome.turns,
        "cause": None if outcome.__cause__ is None else _llm_error_to_dict(outcome.__cause__),
    }
    if isinstance(outcome, AgentIncompleteToolCallsError):
        error["finish_reason"] = outcome.finish_reason.value
        error["calls"] = [c.to_dict() for c in outcome.calls]
    return json.dumps({"error": error}, ensure_ascii=False)


def outcome_from_json(text: str) -> AgentResult:
    """The result recorded by ``outcome_to_json``, or raise the ``AgentError`` it recorded."""
    data = json.loads(text)
    if isinstance(data, Mapping) and isinstance(data.get("result"), Mapping):
        result = data["result"]
        transcript = tuple(message_from_dict(m) for m in result["transcript"])
        last = transcript[-1] if transcript else None
        if not isinstance(last, AssistantMessage):
            raise ValueError("a recorded result must end with the assistant's message")
        return AgentResult(
            last,
            transcript,
            Usage.from_dict(result["usage"]),
            int(result["turns"]),
            FinishReason(result["finish_reason"]),
        )
    if not (isinstance(data, Mapping) and isinstance(data.get("error"), Mapping)):
        raise ValueError("a recorded outcome must hold a result or an error")
    error = data["error"]
    kind = _AGENT_ERRORS.get(str(error.get("type")), AgentError)
    common: dict[str, Any] = {
        "transcript": [message_from_dict(m) for m in error.get("transcript", [])],
        "usage": Usage.from_dict(error.get("usage") or {}),
        "turns": int(error.get("turns", 0)),
    }
    failure: AgentError
    if kind is AgentIncompleteToolCallsError:
        failure = AgentIncompleteToolCallsError(
            str(error.get("message", "")),
            finish_reason=FinishReason(error.get("finish_reason", "other")),
            calls=[ToolCall.from_dict(c) for c in error.get("calls", [])],
            **common,
        )
    else:
        failure = kind(str(error.get("message", "")), **common)
    cause = error.get("cause")
    if isinstance(cause, Mapping):
        raise failure from _llm_error_from_dict(cause)
    raise failure
