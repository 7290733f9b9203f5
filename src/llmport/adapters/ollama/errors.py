"""Ollama's errors: ``{"error": "..."}`` as an HTTP body and as an NDJSON line in a 200 stream.

Ollama's errors are one string, no type or code, so the HTTP status decides the class of an
HTTP error (``404 model 'x' not found`` is ``NotFoundError``); the message only refines what the
status cannot say: a prompt too long for the context. In a 200 stream, an ``{"error": ...}``
line ends the turn as a ``StreamInBandError`` carrying the message; it is retried only before
any output and only when the message says the server is busy or overloaded (Ollama's
``server busy, please try again``), since a runner crash or a bad request would fail again.
"""

from __future__ import annotations

from typing import Any, Final

from llmport.core.errors_map import (
    RETRYABLE_CATEGORIES,
    HttpErrorInfo,
    error_for_status,
    short_message,
)
from llmport.domain.errors import ErrorCategory, LlmError, StreamInBandError

__all__ = ["PROVIDER", "classify_message", "in_band_error", "ollama_error_mapper"]

PROVIDER: Final = "ollama"

_BY_WORDS: Final = (
    (
        ("context length", "context window", "too long", "exceeds the context"),
        ErrorCategory.CONTEXT_LENGTH,
    ),
    (("server busy", "overloaded", "try again", "too many requests"), ErrorCategory.OVERLOADED),
    (("not found", "pull it first", "no such model"), ErrorCategory.NOT_FOUND),
    (("unauthorized", "invalid api key", "authentication"), ErrorCategory.AUTHENTICATION),
)


def classify_message(message: str) -> ErrorCategory:
    """The category an Ollama error message names, or ``UNKNOWN``."""
    text = message.lower()
    for words, category in _BY_WORDS:
        if any(word in text for word in words):
            return category
    return ErrorCategory.UNKNOWN


def _message(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str):
            return short_message(error)
        if isinstance(error, dict):
            return short_message(error.get("message"))
    return ""


def ollama_error_mapper(info: HttpErrorInfo) -> LlmError:
    """HTTP error responses of Ollama (and of proxies in front of it) to typed errors."""
    detail = _message(info.json())
    category = classify_message(detail)
    # The status decides; the message refines it only where it is specific and agrees.
    refine = category is ErrorCategory.CONTEXT_LENGTH and info.status_code in (400, 413, 500)
    return error_for_status(
        info.status_code,
        provider=info.provider,
        category=category if refine else None,
        detail=detail,
        request_id=info.request_id,
    )


def in_band_error(obj: dict[str, Any], provider: str) -> StreamInBandError:
    """The error for an ``{"error": ...}`` line inside a 200 stream."""
    detail = _message(obj)
    category = classify_message(detail)
    what = "Ollama reported an error inside the stream"
    return StreamInBandError(
        f"{what}: {detail}" if detail else what,
        in_band_category=category,
        provider=provider,
        retryable=category in RETRYABLE_CATEGORIES,
    )
