"""From an HTTP error response to a typed ``LlmError``.

The shell reads an error response's body (bounded, secrets scrubbed) into an ``HttpErrorInfo``
and hands it to the adapter's ``ErrorMapper``: each vendor knows its own body shape
(OpenAI ``{"error": {type, code, message}}``, Anthropic ``{"type": "error", "error": {...}}``,
Gemini ``{"error": {code, status, details}}``). ``error_for_status`` is the shared last step: the
status code (and a category the mapper may have recognised in the body) picks the class.

Messages are llmport's own sentence plus the provider's short explanation (one line, at most
300 characters, with any secret value already removed), never the request body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
)

__all__ = [
    "RETRYABLE_CATEGORIES",
    "ErrorMapper",
    "HttpErrorInfo",
    "default_error_mapper",
    "error_for_status",
    "short_message",
]

MAX_PROVIDER_MESSAGE: Final = 300

RETRYABLE_CATEGORIES: Final = frozenset(
    {ErrorCategory.RATE_LIMIT, ErrorCategory.OVERLOADED, ErrorCategory.SERVER}
)
"""The categories of a provider error that waiting may fix: an in-band error of one of them is
retried while nothing was yielded (the HTTP statuses have their own rule in ``retry.py``)."""

_BY_CATEGORY: Final[dict[ErrorCategory, type[LlmError]]] = {
    ErrorCategory.AUTHENTICATION: AuthenticationError,
    ErrorCategory.PERMISSION: PermissionDeniedError,
    ErrorCategory.NOT_FOUND: NotFoundError,
    ErrorCategory.BAD_REQUEST: BadRequestError,
    ErrorCategory.CONTEXT_LENGTH: ContextLengthExceededError,
    ErrorCategory.CONTENT_POLICY: ContentPolicyError,
    ErrorCategory.RATE_LIMIT: RateLimitError,
    ErrorCategory.QUOTA: QuotaExceededError,
    ErrorCategory.OVERLOADED: OverloadedError,
    ErrorCategory.SERVER: ServerError,
}


@dataclass(frozen=True, slots=True)
class HttpErrorInfo:
    """An HTTP error response as the mapper sees it (``body`` bounded and scrubbed)."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes
    provider: str
    request_id: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


ErrorMapper = Callable[[HttpErrorInfo], LlmError]
"""A vendor's mapping of an HTTP error response to a typed error."""


def short_message(text: Any) -> str:
    """The provider's explanation on one line, cut to a readable length."""
    if not isinstance(text, str):
        return ""
    line = " ".join(text.split())
    if len(line) > MAX_PROVIDER_MESSAGE:
        line = line[: MAX_PROVIDER_MESSAGE - 3] + "..."
    return line


def category_for_status(status: int) -> ErrorCategory:
    """The category an HTTP status means when the body says nothing more precise."""
    if status == 401:
        return ErrorCategory.AUTHENTICATION
    if status == 402:
        return ErrorCategory.QUOTA  # Payment Required: credits or billing (OpenRouter, Anthropic)
    if status == 403:
        return ErrorCategory.PERMISSION
    if status == 404:
        return ErrorCategory.NOT_FOUND
    if status == 413:
        return ErrorCategory.CONTEXT_LENGTH
    if status == 429:
        return ErrorCategory.RATE_LIMIT
    if status in (503, 529):
        return ErrorCategory.OVERLOADED
    if status >= 500:
        return ErrorCategory.SERVER
    if status in (408, 409):
        return ErrorCategory.SERVER  # transient by the SDKs' convention
    return ErrorCategory.BAD_REQUEST


_WHAT: Final[dict[ErrorCategory, str]] = {
    ErrorCategory.AUTHENTICATION: "the API key was rejected",
    ErrorCategory.PERMISSION: "the API key is not allowed to do this",
    ErrorCategory.NOT_FOUND: "unknown model or endpoint (check the model name and base_url)",
    ErrorCategory.BAD_REQUEST: "the provider rejected the request",
    ErrorCategory.CONTEXT_LENGTH: "the prompt does not fit the model's context window",
    ErrorCategory.CONTENT_POLICY: "the provider refused the request for its content policy",
    ErrorCategory.RATE_LIMIT: "rate limited",
    ErrorCategory.QUOTA: "quota or spend limit reached",
    ErrorCategory.OVERLOADED: "the provider is overloaded",
    ErrorCategory.SERVER: "the provider failed",
}


def error_for_status(
    status: int,
    *,
    provider: str,
    category: ErrorCategory | None = None,
    detail: str = "",
    code: str | None = None,
    retryable: bool | None = None,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> LlmError:
    """The typed error for an HTTP error response.

    ``category`` (recognised by the vendor's mapper in the body) wins over the status;
    ``detail`` is the provider's own short explanation.
    """
    if 300 <= status < 400:
        return BadRequestError(
            f"HTTP {status} redirect not followed (redirects are off; check base_url)",
            provider=provider,
            status_code=status,
            retryable=False,
            request_id=request_id,
        )
    chosen = category or category_for_status(status)
    cls = _BY_CATEGORY.get(chosen, BadRequestError if status < 500 else ServerError)
    what = _WHAT.get(chosen, "the request failed")
    message = f"{what}: {detail}" if detail else what
    return cls(
        message,
        provider=provider,
        status_code=status,
        code=code,
        retryable=retryable,
        retry_after=retry_after,
        request_id=request_id,
    )


def default_error_mapper(info: HttpErrorInfo) -> LlmError:
    """A mapper for servers with no known error shape: the status decides; a ``message`` or
    ``error`` string (or ``{"error": {"message"}}``) becomes the detail."""
    body = info.json()
    detail = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            detail = short_message(error.get("message"))
        elif isinstance(error, str):
            detail = short_message(error)
        elif "message" in body:
            detail = short_message(body.get("message"))
    return error_for_status(
        info.status_code, provider=info.provider, detail=detail, request_id=info.request_id
    )
