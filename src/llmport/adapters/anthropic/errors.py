"""Anthropic error bodies -> the typed ``LlmError`` taxonomy (pure functions).

Anthropic reports failures the same way before and inside a stream: a JSON object
``{"type": "error", "error": {"type": ..., "message": ...}, "request_id": ...}``, sent as the
body of a non-2xx response or as the data of an ``event: error`` inside a 200 stream
(docs.anthropic.com/en/api/errors). ``error.type`` is the reliable signal, the HTTP status the
fallback (a proxy may answer with HTML):

=========================  ======  ==========================================================
``error.type``             status  llmport error
=========================  ======  ==========================================================
invalid_request_error      400     ``BadRequestError``; ``ContextLengthExceededError`` when the
                                   message says the prompt is too long; ``QuotaExceededError``
                                   for a too-low credit balance; ``ContentPolicyError`` for
                                   content filtering
authentication_error       401     ``AuthenticationError``
billing_error              402     ``QuotaExceededError``
permission_error           403     ``PermissionDeniedError``
not_found_error            404     ``NotFoundError``
request_too_large          413     ``BadRequestError``
rate_limit_error           429     ``RateLimitError``; ``QuotaExceededError`` (not retryable)
                                   for ``details.error_code = enforced_spend_limit_reached``
api_error                  500     ``ServerError``
timeout_error              504     ``ServerError`` (the provider's own time limit, retryable)
overloaded_error           529     ``OverloadedError``
=========================  ======  ==========================================================

An in-band error becomes ``StreamInBandError`` with the same category as ``in_band_category``
and ``retryable`` for overloaded / rate-limit / server errors, so the shell can retry it like a
529 when nothing was yielded yet. It never carries ``status_code=200``.

Messages are the provider's own ``error.message`` (useful: "prompt is too long: 210000 tokens >
200000 maximum"), cut to a bounded length; request bodies are never echoed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

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
    StreamInBandError,
)

__all__ = ["error_class", "http_error", "in_band_error", "parse_error_body"]

PROVIDER: Final = "anthropic"
MAX_MESSAGE: Final = 500

_BY_TYPE: Final[dict[str, type[LlmError]]] = {
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthenticationError,
    "billing_error": QuotaExceededError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "request_too_large": BadRequestError,
    "rate_limit_error": RateLimitError,
    "api_error": ServerError,
    "timeout_error": ServerError,
    "overloaded_error": OverloadedError,
}

_CONTEXT_PHRASES: Final = (
    "prompt is too long",
    "exceed context limit",
    "exceeds the context window",
    "context window",
    "too many tokens",
)
_QUOTA_PHRASES: Final = ("credit balance is too low", "spend limit", "billing")
_POLICY_PHRASES: Final = ("content filtering policy", "usage policy")
_SPEND_LIMIT_CODES: Final = frozenset({"enforced_spend_limit_reached", "spend_limit_reached"})


def parse_error_body(body: bytes | str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``error`` object of an Anthropic error body (``{}`` when there is none)."""
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
    if not isinstance(data, Mapping):
        return {}
    error = data.get("error")
    if isinstance(error, Mapping):
        out = dict(error)
        request_id = data.get("request_id")
        if isinstance(request_id, str) and "request_id" not in out:
            out["request_id"] = request_id
        return out
    if isinstance(error, str):  # some proxies: {"error": "message"}
        return {"message": error}
    return {}


def _by_status(status: int | None) -> type[LlmError]:
    if status is None:
        return LlmError
    if status == 401:
        return AuthenticationError
    if status == 402:
        return QuotaExceededError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status in (503, 529):
        return OverloadedError
    if status in (408, 409) or status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return LlmError


def error_class(error: Mapping[str, Any], status: int | None = None) -> type[LlmError]:
    """The ``LlmError`` subclass for an Anthropic ``error`` object (and the HTTP status)."""
    kind = error.get("type")
    cls = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        cls = _by_status(status)
    message = str(error.get("message") or "").lower()
    if cls is BadRequestError:
        if any(p in message for p in _CONTEXT_PHRASES):
            return ContextLengthExceededError
        if any(p in message for p in _QUOTA_PHRASES):
            return QuotaExceededError
        if any(p in message for p in _POLICY_PHRASES):
            return ContentPolicyError
    if cls is RateLimitError:
        details = error.get("details")
        code = details.get("error_code") if isinstance(details, Mapping) else None
        if code in _SPEND_LIMIT_CODES or "spend limit" in message:
            return QuotaExceededError
    return cls


def _message(error: Mapping[str, Any], fallback: str) -> str:
    text = error.get("message")
    if not isinstance(text, str) or not text.strip():
        return fallback
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    return f"Anthropic: {text}"


def http_error(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    headers: Mapping[str, str] | None = None,
    retry_after: float | None = None,
) -> LlmError:
    """The typed error for a non-2xx Anthropic response (``retry_after`` parsed by the shell)."""
    error = parse_error_body(body)
    cls = error_class(error, status)
    kind = error.get("type")
    request_id = error.get("request_id")
    if not isinstance(request_id, str) and headers is not None:
        request_id = headers.get("request-id") or headers.get("x-request-id")
    return cls(
        _message(error, f"Anthropic answered HTTP {status}"),
        provider=PROVIDER,
        status_code=status,
        retry_after=retry_after,
        code=kind if isinstance(kind, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
    )


_RETRYABLE_IN_BAND: Final = frozenset(
    {ErrorCategory.OVERLOADED, ErrorCategory.RATE_LIMIT, ErrorCategory.SERVER}
)


def in_band_error(data: Mapping[str, Any]) -> StreamInBandError:
    """The error for an ``event: error`` inside a 200 stream."""
    error = parse_error_body(data)
    cls = error_class(error)
    category = cls.category if cls is not LlmError else ErrorCategory.UNKNOWN
    kind = error.get("type")
    request_id = error.get("request_id")
    return StreamInBandError(
        _message(error, "Anthropic reported an error inside the stream"),
        in_band_category=category,
        provider=PROVIDER,
        retryable=category in _RETRYABLE_IN_BAND,
        code=kind if isinstance(kind, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
    )
