"""Anthropic error bodies -> typed errors."""

from __future__ import annotations

import json

import pytest

from llmport.adapters.anthropic.errors import (
    http_error,
    in_band_error,
    map_http_error,
    parse_error_body,
)
from llmport.core.errors_map import HttpErrorInfo
from llmport.domain.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextLengthExceededError,
    ErrorCategory,
    LlmError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)


def body(error_type: str, message: str = "msg", **extra: object) -> bytes:
    error: dict[str, object] = {"type": error_type, "message": message, **extra}
    return json.dumps({"type": "error", "error": error, "request_id": "req_011"}).encode()


@pytest.mark.parametrize(
    ("status", "error_type", "message", "cls"),
    [
        (400, "invalid_request_error", "max_tokens: Field required", BadRequestError),
        (
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            ContextLengthExceededError,
        ),
        (
            400,
            "invalid_request_error",
            "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000",
            ContextLengthExceededError,
        ),
        (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API.",
            QuotaExceededError,
        ),
        (
            400,
            "invalid_request_error",
            "Output blocked by content filtering policy",
            ContentPolicyError,
        ),
        (401, "authentication_error", "invalid x-api-key", AuthenticationError),
        (402, "billing_error", "payment required", QuotaExceededError),
        (403, "permission_error", "not allowed", PermissionDeniedError),
        (404, "not_found_error", "model: claude-9", NotFoundError),
        (413, "request_too_large", "Request exceeds the maximum size", BadRequestError),
        (
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your rate limit",
            RateLimitError,
        ),
        (500, "api_error", "Internal server error", ServerError),
        (504, "timeout_error", "Request timed out", ServerError),
        (529, "overloaded_error", "Overloaded", OverloadedError),
    ],
)
def test_http_errors_map_by_error_type(
    status: int, error_type: str, message: str, cls: type[LlmError]
) -> None:
    error = http_error(status, body(error_type, message))
    assert type(error) is cls
    assert error.status_code == status
    assert error.code == error_type
    assert error.request_id == "req_011"
    assert error.provider == "anthropic"
    assert message in error.message


def test_retryability_follows_the_class() -> None:
    assert http_error(529, body("overloaded_error")).retryable is True
    assert http_error(429, body("rate_limit_error")).retryable is True
    assert http_error(500, body("api_error")).retryable is True
    assert http_error(400, body("invalid_request_error")).retryable is False
    assert http_error(401, body("authentication_error")).retryable is False


def test_spend_limit_429_is_quota_and_not_retryable() -> None:
    error = http_error(
        429,
        body(
            "rate_limit_error",
            "You have reached your specified API usage limits.",
            details={"error_code": "enforced_spend_limit_reached"},
        ),
    )
    assert type(error) is QuotaExceededError
    assert error.retryable is False


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, QuotaExceededError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (408, ServerError),
        (409, ServerError),
        (422, BadRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, OverloadedError),
        (529, OverloadedError),
        (302, BadRequestError),
    ],
)
def test_bodies_that_are_not_anthropic_errors_map_by_status(
    status: int, cls: type[LlmError]
) -> None:
    error = http_error(status, b"<html><body>Bad gateway</body></html>")
    assert type(error) is cls
    assert error.status_code == status
    assert "html" not in str(error)


def test_unknown_error_type_falls_back_to_the_status() -> None:
    assert type(http_error(503, body("brand_new_error"))) is OverloadedError


def test_request_id_from_the_headers_when_the_body_has_none() -> None:
    raw = json.dumps({"type": "error", "error": {"type": "api_error", "message": "x"}})
    error = map_http_error(
        HttpErrorInfo(500, {"request-id": "req_h"}, raw.encode(), "anthropic", "req_h")
    )
    assert error.request_id == "req_h"
    assert type(error) is ServerError


def test_long_messages_are_bounded_and_whitespace_collapsed() -> None:
    error = http_error(400, body("invalid_request_error", "a  \n b " * 1000))
    assert len(error.message) <= 400
    assert "\n" not in error.message


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'{"error": 5}', b"\xff\xfe"])
def test_parse_error_body_tolerates_anything(raw: bytes) -> None:
    assert parse_error_body(raw) == {}


def test_proxy_style_string_error() -> None:
    error = http_error(502, b'{"error": "upstream connect error"}')
    assert type(error) is ServerError
    assert "upstream connect error" in error.message


def test_in_band_error_has_the_category_and_no_status() -> None:
    error = in_band_error(
        {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": "req_1",
        }
    )
    assert error.in_band_category is ErrorCategory.OVERLOADED
    assert error.retryable is True
    assert error.status_code is None
    assert error.request_id == "req_1"
    assert "Overloaded" in str(error)


def test_in_band_prompt_too_long_is_context_length_and_not_retryable() -> None:
    error = in_band_error(
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "prompt is too long"},
        }
    )
    assert error.in_band_category is ErrorCategory.CONTEXT_LENGTH
    assert error.retryable is False


def test_in_band_error_without_an_error_object() -> None:
    error = in_band_error({"type": "error"})
    assert error.in_band_category is ErrorCategory.UNKNOWN
    assert error.retryable is False
    assert error.message == "Anthropic reported an error inside the stream"
    assert error.code is None
