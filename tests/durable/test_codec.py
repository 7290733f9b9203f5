"""A run's outcome as JSON: the same result back, or the same AgentError with its typed cause."""

from __future__ import annotations

import pytest

from llmport import (
    AgentError,
    AssistantMessage,
    FinishReason,
    RateLimitError,
    StreamInBandError,
    ToolCall,
    Usage,
    UserMessage,
)
from llmport.agent.loop import AgentResult
from llmport.domain.errors import ErrorCategory
from llmport.domain.redaction import register_secret
from llmport.durable import outcome_from_json, outcome_to_json


def test_a_result_round_trips() -> None:
    answer = AssistantMessage("hi")
    result = AgentResult(answer, (UserMessage("q"), answer), Usage(3, 4), 2, FinishReason.STOP)
    assert outcome_from_json(outcome_to_json(result)) == result


def test_an_error_comes_back_as_the_same_class_with_its_run_and_cause() -> None:
    error = AgentError.Internal(
        "the model failed", transcript=[UserMessage("q")], usage=Usage(1, 2), turns=3
    )
    error.__cause__ = RateLimitError("slow", provider="x", status_code=429, retry_after=2.0)
    with pytest.raises(AgentError.Internal) as caught:
        outcome_from_json(outcome_to_json(error))
    back = caught.value
    assert (back.message, back.transcript, back.usage, back.turns) == (
        "the model failed", (UserMessage("q"),), Usage(1, 2), 3,
    )  # fmt: skip
    cause = back.__cause__
    assert isinstance(cause, RateLimitError)
    assert (cause.provider, cause.status_code, cause.retry_after) == ("x", 429, 2.0)


def test_incomplete_tool_calls_keep_their_calls_and_in_band_errors_their_facts() -> None:
    error = AgentError.IncompleteToolCalls(
        "cut", finish_reason=FinishReason.LENGTH, calls=[ToolCall("c", "t", {"a": 1})]
    )
    error.__cause__ = StreamInBandError("boom", in_band_category=ErrorCategory.SERVER)
    with pytest.raises(AgentError.IncompleteToolCalls) as caught:
        outcome_from_json(outcome_to_json(error))
    assert caught.value.finish_reason is FinishReason.LENGTH
    assert caught.value.calls == (ToolCall("c", "t", {"a": 1}),)
    assert "boom" in str(caught.value.__cause__)


def test_a_secret_in_an_error_is_not_recorded() -> None:
    secret = "sk-codec-sentinel-0123456789abcdef"
    register_secret(secret)
    error = AgentError.Internal(f"failed with {secret}")
    error.__cause__ = RateLimitError(f"key {secret} rejected")
    assert secret not in outcome_to_json(error)


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"nothing": 1}',
        '{"result": {"transcript": [], "usage": {}, "turns": 1, "finish_reason": "stop"}}',
    ],
)
def test_a_bad_record_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="recorded"):
        outcome_from_json(text)
