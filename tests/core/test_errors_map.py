"""From an HTTP error response to a typed error: the shared status table and mapper."""

from __future__ import annotations

import json

import httpx
import pytest

from llmport.adapters.openai_compat import openai_error_mapper
from llmport.core.errors_map import (
    HttpErrorInfo,
    category_for_status,
    default_error_mapper,
    error_for_status,
)
from llmport.domain.errors import (
    AuthenticationError,
    BadRequestError,
    ErrorCategory,
    NotFoundError,
    OverloadedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)


def info(status: int, body: object = b"") -> HttpErrorInfo:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpErrorInfo(status, httpx.Headers(), raw, "test")


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (400, ErrorCategory.BAD_REQUEST),
        (401, ErrorCategory.AUTHENTICATION),
        (402, ErrorCategory.QUOTA),  # Payment Required: OpenRouter's "insufficient credits"
        (403, ErrorCategory.PERMISSION),
        (404, ErrorCategory.NOT_FOUND),
        (408, ErrorCategory.SERVER),
        (409, ErrorCategory.SERVER),
        (422, ErrorCategory.BAD_REQUEST),
        (429, ErrorCategory.RATE_LIMIT),
        (500, ErrorCategory.SERVER),
        (503, ErrorCategory.OVERLOADED),
        (529, ErrorCategory.OVERLOADED),
    ],
)
def test_category_for_status(status: int, category: ErrorCategory) -> None:
    assert category_for_status(status) is category


def test_402_is_a_quota_error_not_a_bad_request() -> None:
    # OpenRouter: 402 {"error": {"code": 402, "message": "Insufficient credits ..."}}
    body = {"error": {"code": 402, "message": "Insufficient credits. Add more using ..."}}
    for mapper in (default_error_mapper, openai_error_mapper):
        error = mapper(info(402, body))
        assert isinstance(error, QuotaExceededError)
        assert not error.retryable
        assert "Insufficient credits" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (529, OverloadedError),
        (400, BadRequestError),
    ],
)
def test_default_mapper_by_status(status: int, cls: type[Exception]) -> None:
    error = default_error_mapper(info(status, b"<html>proxy error</html>"))
    assert type(error) is cls
    assert error.status_code == status


def test_a_redirect_is_reported_as_not_followed() -> None:
    error = error_for_status(302, provider="test")
    assert isinstance(error, BadRequestError)
    assert "redirect" in str(error)
    assert not error.retryable
