"""Gemini's errors: ``{"error": {"code", "message", "status", "details"}}`` as an HTTP body, and
the same object inside a 200 body.

``error.status`` (the google.rpc code name) decides where the HTTP status alone cannot:
``RESOURCE_EXHAUSTED`` is a rate limit unless its details speak of a quota or billing,
``INVALID_ARGUMENT`` about an input over the token limit is the context window (Gemini also
reports a too-long input as ``500 INTERNAL``, per its troubleshooting guide), ``UNAVAILABLE`` is
an overload, ``PERMISSION_DENIED`` a permission error. A ``RetryInfo.retryDelay`` in the details
(``"12s"``) is the wait when no ``Retry-After`` header came.
"""

from __future__ import annotations

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

__all__ = ["PROVIDER", "category_of", "gemini_error_mapper", "in_band_error", "retry_delay"]

PROVIDER: Final = "gemini"

_BY_STATUS: Final = {
    "UNAUTHENTICATED": ErrorCategory.AUTHENTICATION,
    "PERMISSION_DENIED": ErrorCategory.PERMISSION,
    "NOT_FOUND": ErrorCategory.NOT_FOUND,
    "RESOURCE_EXHAUSTED": ErrorCategory.RATE_LIMIT,
    "UNAVAILABLE": ErrorCategory.OVERLOADED,
    "INTERNAL": ErrorCategory.SERVER,
    "DEADLINE_EXCEEDED": ErrorCategory.SERVER,
    "INVALID_ARGUMENT": ErrorCategory.BAD_REQUEST,
    "FAILED_PRECONDITION": ErrorCategory.BAD_REQUEST,
}
_TOO_LONG: Final = ("token count", "too long", "exceeds the maximum number of tokens", "context")
_QUOTA: Final = ("quota", "billing", "limit: 0")


def _error(body: Any) -> Mapping[str, Any]:
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        body = body[0]  # some proxies wrap it in a list, as the JSON-array stream would
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def category_of(error: Mapping[str, Any]) -> ErrorCategory | None:
    status = error.get("status")
    message = str(error.get("message") or "").lower()
    category = _BY_STATUS.get(status) if isinstance(status, str) else None
    if category is ErrorCategory.RATE_LIMIT and any(w in message for w in _QUOTA):
        return ErrorCategory.QUOTA
    if category in (ErrorCategory.BAD_REQUEST, ErrorCategory.SERVER) and any(
        w in message for w in _TOO_LONG
    ):
        return ErrorCategory.CONTEXT_LENGTH
    return category


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """``RetryInfo.retryDelay`` (``"12s"``, ``"0.5s"``) in seconds, if the details carry one."""
    for detail in error.get("details") or ():
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("RetryInfo"):
            text = str(detail.get("retryDelay", "")).strip()
            try:
                return max(0.0, float(text.removesuffix("s")))
            except ValueError:
                return None
    return None


def gemini_error_mapper(info: HttpErrorInfo) -> LlmError:
    """HTTP error responses of the Gemini API to typed errors."""
    error = _error(info.json())
    category = category_of(error) or category_for_status(info.status_code)
    status = error.get("status")
    mapped = error_for_status(
        info.status_code,
        provider=info.provider,
        category=category,
        detail=short_message(error.get("message")),
        code=status if isinstance(status, str) else None,
        retryable=False if category is ErrorCategory.QUOTA else None,
        request_id=info.request_id,
    )
    if mapped.retry_after is None:
        mapped.retry_after = retry_delay(error)
    return mapped


def in_band_error(body: Mapping[str, Any], provider: str = PROVIDER) -> StreamInBandError:
    """An error object inside a 200 body."""
    error = _error(body)
    category = category_of(error) or ErrorCategory.UNKNOWN
    detail = short_message(error.get("message"))
    what = "Gemini reported an error inside the stream"
    status = error.get("status")
    return StreamInBandError(
        f"{what}: {detail}" if detail else what,
        in_band_category=category,
        provider=provider,
        retryable=category in RETRYABLE_CATEGORIES,
        retry_after=retry_delay(error),
        code=status if isinstance(status, str) else None,
    )
