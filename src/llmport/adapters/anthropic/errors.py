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

The HTTP case goes through the shared ``error_for_status`` (same message shape for every
adapter: llmport's sentence, then the provider's own short ``error.message``, e.g. "prompt is too
long: 210000 tokens > 200000 maximum"); the shell has already bounded the body and scrubbed any
secret from it, and fills in ``retry_after`` and the retry verdict (``x-should-retry``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from llmport.core.errors_map import (
    RETRYABLE_CATEGORIES,
    HttpErrorInfo,
    category_for_status,
    error_for_status,
    short_message,
)
from llmport.domain.errors import ErrorCategory, LlmError, StreamInBandError

__all__ = [
    "PROVIDER",
    "error_category",
    "http_error",
    "in_band_error",
    "map_http_error",
    "parse_error_body",
]

PROVIDER: Final = "anthropic"  # the one name every module of this adapter reports

_BY_TYPE: Final[dict[str, ErrorCategory]] = {
    "invalid_request_error": ErrorCategory.BAD_REQUEST,
    "authentication_error": ErrorCategory.AUTHENTICATION,
    "billing_error": ErrorCategory.QUOTA,
    "permission_error": ErrorCategory.PERMISSION,
    "not_found_error": ErrorCategory.NOT_FOUND,
    "request_too_large": ErrorCategory.BAD_REQUEST,
    "rate_limit_error": ErrorCategory.RATE_LIMIT,
    "api_error": ErrorCategory.SERVER,
    "timeout_error": ErrorCategory.SERVER,
    "overloaded_error": ErrorCategory.OVERLOADED,
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


def error_category(error: Mapping[str, Any], status: int | None = None) -> ErrorCategory:
    """The category of an Anthropic ``error`` object (the HTTP status as the fallback)."""
    kind = error.get("type")
    category = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if category is None and status is not None:
        # The shared status table, except that Anthropic's 413 is the request's byte size
        # (request_too_large), not the context window.
        category = ErrorCategory.BAD_REQUEST if status == 413 else category_for_status(status)
    if category is None:
        return ErrorCategory.UNKNOWN
    message = str(error.get("message") or "").lower()
    if category is ErrorCategory.BAD_REQUEST:
        if any(p in message for p in _CONTEXT_PHRASES):
            return ErrorCategory.CONTEXT_LENGTH
        if any(p in message for p in _QUOTA_PHRASES):
            return ErrorCategory.QUOTA
        if any(p in message for p in _POLICY_PHRASES):
            return ErrorCategory.CONTENT_POLICY
    if category is ErrorCategory.RATE_LIMIT:
        details = error.get("details")
        code = details.get("error_code") if isinstance(details, Mapping) else None
        if code in _SPEND_LIMIT_CODES or "spend limit" in message:
            return ErrorCategory.QUOTA
    return category


def http_error(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    request_id: str | None = None,
) -> LlmError:
    """The typed error for a non-2xx Anthropic response."""
    error = parse_error_body(body)
    category = error_category(error, status)
    kind = error.get("type")
    body_request_id = error.get("request_id")
    return error_for_status(
        status,
        provider=PROVIDER,
        category=None if category is ErrorCategory.UNKNOWN else category,
        detail=short_message(error.get("message")),
        code=kind if isinstance(kind, str) else None,
        request_id=body_request_id if isinstance(body_request_id, str) else request_id,
    )


def map_http_error(info: HttpErrorInfo) -> LlmError:
    """The ``ErrorMapper`` the HTTP shell calls (body already bounded and scrubbed)."""
    return http_error(info.status_code, info.body, request_id=info.request_id)


def in_band_error(data: Mapping[str, Any]) -> StreamInBandError:
    """The error for an ``event: error`` inside a 200 stream."""
    error = parse_error_body(data)
    category = error_category(error)
    kind = error.get("type")
    request_id = error.get("request_id")
    detail = short_message(error.get("message"))
    what = "Anthropic reported an error inside the stream"
    return StreamInBandError(
        f"{what}: {detail}" if detail else what,
        in_band_category=category,
        provider=PROVIDER,
        retryable=category in RETRYABLE_CATEGORIES,
        code=kind if isinstance(kind, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
    )
