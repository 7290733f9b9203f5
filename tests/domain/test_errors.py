"""The LlmError taxonomy: aliases, hierarchy, defaults, categories, text and pickling."""

from __future__ import annotations

import copy
import pickle

import pytest

from llmport.domain import errors as errors_module
from llmport.domain.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextLengthExceededError,
    ErrorCategory,
    LlmConnectionError,
    LlmError,
    LlmTimeoutError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamError,
    StreamInBandError,
    StreamProtocolError,
    StreamTooLargeError,
    StreamTruncatedError,
    TimeoutConnectError,
    TimeoutDeadlineError,
    TimeoutFirstEventError,
    TimeoutIdleError,
)

# class -> (direct parent, category, default retryable)
TAXONOMY: dict[type[LlmError], tuple[type[Exception], ErrorCategory, bool]] = {
    LlmError: (Exception, ErrorCategory.UNKNOWN, False),
    AuthenticationError: (LlmError, ErrorCategory.AUTHENTICATION, False),
    PermissionDeniedError: (LlmError, ErrorCategory.PERMISSION, False),
    NotFoundError: (LlmError, ErrorCategory.NOT_FOUND, False),
    BadRequestError: (LlmError, ErrorCategory.BAD_REQUEST, False),
    ContextLengthExceededError: (BadRequestError, ErrorCategory.CONTEXT_LENGTH, False),
    ContentPolicyError: (BadRequestError, ErrorCategory.CONTENT_POLICY, False),
    RateLimitError: (LlmError, ErrorCategory.RATE_LIMIT, True),
    QuotaExceededError: (LlmError, ErrorCategory.QUOTA, False),
    OverloadedError: (LlmError, ErrorCategory.OVERLOADED, True),
    ServerError: (LlmError, ErrorCategory.SERVER, True),
    LlmConnectionError: (LlmError, ErrorCategory.CONNECTION, True),
    LlmTimeoutError: (LlmError, ErrorCategory.TIMEOUT, True),
    TimeoutConnectError: (LlmTimeoutError, ErrorCategory.TIMEOUT, True),
    TimeoutFirstEventError: (LlmTimeoutError, ErrorCategory.TIMEOUT, True),
    TimeoutIdleError: (LlmTimeoutError, ErrorCategory.TIMEOUT, True),
    TimeoutDeadlineError: (LlmTimeoutError, ErrorCategory.TIMEOUT, False),
    StreamError: (LlmError, ErrorCategory.STREAM, False),
    StreamTruncatedError: (StreamError, ErrorCategory.STREAM, True),
    StreamProtocolError: (StreamError, ErrorCategory.STREAM, False),
    StreamTooLargeError: (StreamError, ErrorCategory.STREAM, False),
    StreamInBandError: (StreamError, ErrorCategory.UNKNOWN, False),
}


def test_taxonomy_covers_every_exported_error() -> None:
    exported = {
        getattr(errors_module, name)
        for name in errors_module.__all__
        if isinstance(getattr(errors_module, name), type)
        and issubclass(getattr(errors_module, name), LlmError)
    }
    assert exported == set(TAXONOMY)


@pytest.mark.parametrize("cls", list(TAXONOMY))
def test_parent_category_and_default_retryable(cls: type[LlmError]) -> None:
    parent, category, retryable = TAXONOMY[cls]
    assert cls.__bases__ == (parent,)
    error = cls("boom")
    assert isinstance(error, LlmError)
    assert error.error_category is category
    assert error.retryable is retryable


@pytest.mark.parametrize("cls", list(TAXONOMY))
def test_explicit_retryable_overrides_the_default(cls: type[LlmError]) -> None:
    assert cls("x", retryable=True).retryable is True
    assert cls("x", retryable=False).retryable is False


def test_nested_aliases_are_the_same_classes() -> None:
    assert LlmTimeoutError.Connect is TimeoutConnectError
    assert LlmTimeoutError.FirstEvent is TimeoutFirstEventError
    assert LlmTimeoutError.Idle is TimeoutIdleError
    assert LlmTimeoutError.Deadline is TimeoutDeadlineError
    assert StreamError.Truncated is StreamTruncatedError
    assert StreamError.Protocol is StreamProtocolError
    assert StreamError.InBand is StreamInBandError
    assert StreamError.TooLarge is StreamTooLargeError


def test_except_by_alias_and_by_parent() -> None:
    with pytest.raises(LlmTimeoutError.Idle):
        raise TimeoutIdleError("idle")
    caught: list[type[Exception]] = []
    try:
        raise TimeoutIdleError("idle")
    except LlmTimeoutError.Deadline:
        caught.append(TimeoutDeadlineError)
    except LlmTimeoutError.Idle:
        caught.append(TimeoutIdleError)
    assert caught == [TimeoutIdleError]
    with pytest.raises(StreamError):
        raise StreamError.Truncated("cut")
    with pytest.raises(BadRequestError):
        raise ContextLengthExceededError("too long")


def test_all_facts_are_stored() -> None:
    error = RateLimitError(
        "slow down",
        provider="openai",
        status_code=429,
        retryable=False,
        retry_after=1.5,
        after_output=True,
        code="rate_limit_exceeded",
        request_id="req_1",
    )
    assert error.message == "slow down"
    assert error.args == ("slow down",)
    assert (error.provider, error.status_code, error.retryable) == ("openai", 429, False)
    assert (error.retry_after, error.after_output) == (1.5, True)
    assert (error.code, error.request_id) == ("rate_limit_exceeded", "req_1")


def test_defaults_are_empty() -> None:
    error = LlmError("x")
    assert error.provider is None
    assert error.status_code is None
    assert error.retry_after is None
    assert error.after_output is False
    assert error.code is None
    assert error.request_id is None


def test_in_band_error_reports_its_cause_category() -> None:
    error = StreamInBandError(
        "overloaded",
        in_band_category=ErrorCategory.OVERLOADED,
        retryable=True,
        provider="anthropic",
    )
    assert error.in_band_category is ErrorCategory.OVERLOADED
    assert error.error_category is ErrorCategory.OVERLOADED
    assert error.category is ErrorCategory.STREAM  # the class is still a stream error
    assert error.status_code is None  # an in-band error never claims an HTTP status
    assert error.retryable is True
    assert StreamInBandError("x").error_category is ErrorCategory.UNKNOWN


def test_str_lists_only_the_facts_given() -> None:
    assert str(LlmError("plain")) == "plain"
    assert str(ServerError("down")) == "down"  # default retryable is not a "fact given"
    error = RateLimitError(
        "slow down",
        provider="openai",
        status_code=429,
        code="rate_limit_exceeded",
        retry_after=1.5,
        after_output=True,
        request_id="req_secretish",
    )
    assert str(error) == (
        "slow down (provider=openai, status=429, code=rate_limit_exceeded, "
        "retry_after=1.5s, after_output)"
    )
    assert str(StreamTruncatedError("cut", provider="ollama")) == "cut (provider=ollama)"
    assert str(LlmError("x", retry_after=2.0)) == "x (retry_after=2s)"
    assert str(LlmError("x", status_code=0)) == "x (status=0)"


def test_repr_names_the_class_and_the_facts() -> None:
    error = OverloadedError("busy", provider="anthropic", status_code=529, retry_after=3.0)
    assert repr(error) == (
        "OverloadedError('busy', provider='anthropic', status_code=529, retryable=True, "
        "retry_after=3.0, after_output=False)"
    )


def test_text_never_contains_more_than_given() -> None:
    # Nothing in str/repr comes from anywhere but the message and the listed facts.
    error = AuthenticationError("invalid API key", provider="openai", status_code=401)
    for text in (str(error), repr(error)):
        assert "sk-" not in text
        assert "Authorization" not in text
    assert "request_id" not in repr(TimeoutIdleError("idle", request_id="req_1"))


def _all_attributes(error: LlmError) -> dict[str, object]:
    return {
        "type": type(error),
        "message": error.message,
        "args": error.args,
        "provider": error.provider,
        "status_code": error.status_code,
        "retryable": error.retryable,
        "retry_after": error.retry_after,
        "after_output": error.after_output,
        "code": error.code,
        "request_id": error.request_id,
        "category": error.error_category,
        "str": str(error),
    }


@pytest.mark.parametrize("cls", [c for c in TAXONOMY if c is not StreamInBandError])
def test_pickle_round_trip_keeps_every_attribute(cls: type[LlmError]) -> None:
    error = cls(
        "broken",
        provider="p",
        status_code=503,
        retryable=not cls.default_retryable,
        retry_after=0.25,
        after_output=True,
        code="c",
        request_id="r",
    )
    for restored in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error), copy.copy(error)):
        assert _all_attributes(restored) == _all_attributes(error)


def test_pickle_round_trip_of_an_in_band_error() -> None:
    error = StreamInBandError(
        "rate limited in band",
        in_band_category=ErrorCategory.RATE_LIMIT,
        provider="openai",
        retryable=True,
        retry_after=4.0,
        after_output=True,
        code="rate_limit_exceeded",
        request_id="req_9",
    )
    restored = pickle.loads(pickle.dumps(error))
    assert _all_attributes(restored) == _all_attributes(error)
    assert restored.in_band_category is ErrorCategory.RATE_LIMIT


def test_pickle_keeps_attributes_changed_after_construction() -> None:
    # The guard fills these in on errors raised by adapters.
    error = StreamProtocolError("bad json")
    error.provider = "gemini"
    error.after_output = True
    restored = pickle.loads(pickle.dumps(error))
    assert (restored.provider, restored.after_output) == ("gemini", True)


def test_error_category_values() -> None:
    assert {c.value for c in ErrorCategory} == {
        "authentication",
        "permission",
        "not_found",
        "bad_request",
        "context_length",
        "content_policy",
        "rate_limit",
        "quota",
        "overloaded",
        "server",
        "connection",
        "timeout",
        "stream",
        "unknown",
    }
