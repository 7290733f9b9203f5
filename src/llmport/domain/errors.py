"""The typed failures of a model stream.

Every failure a port can report is an :class:`LlmError`. The subclasses say *what* went wrong
(authentication, rate limit, a truncated stream ...) so that callers can decide what to do
without parsing messages, and every instance carries the same five facts:

``provider``      which adapter raised it (``"openai"``, ``"anthropic"`` ...)
``status_code``   the HTTP status when one was involved (never 200 for an in-band error)
``retryable``     whether trying again later may succeed
``retry_after``   seconds the provider asked us to wait, when it said so
``after_output``  whether the stream had already yielded an event when it failed
``usage``         the usage reported before a mid-stream failure, when there was any

Messages are written by llmport, never copied from request bodies, and never contain API keys.
Nested aliases (``LlmTimeoutError.Idle``, ``StreamError.Truncated`` ...) give the taxonomy a
readable shape: ``except StreamError.Truncated:`` is the same as ``except StreamTruncatedError:``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from llmport.domain.events import Usage

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ContentPolicyError",
    "ContextLengthExceededError",
    "ErrorCategory",
    "LlmConnectionError",
    "LlmError",
    "LlmTimeoutError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "ServerError",
    "StreamError",
    "StreamInBandError",
    "StreamProtocolError",
    "StreamTooLargeError",
    "StreamTruncatedError",
    "TimeoutConnectError",
    "TimeoutDeadlineError",
    "TimeoutFirstEventError",
    "TimeoutIdleError",
]


class ErrorCategory(StrEnum):
    """What kind of failure an error is; an in-band error carries the category of its cause."""

    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    CONTEXT_LENGTH = "context_length"
    CONTENT_POLICY = "content_policy"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    OVERLOADED = "overloaded"
    SERVER = "server"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    STREAM = "stream"
    UNKNOWN = "unknown"


class LlmError(Exception):
    """Base of every failure a model port reports."""

    category: ClassVar[ErrorCategory] = ErrorCategory.UNKNOWN
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        after_output: bool = False,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.after_output = after_output
        self.code = code
        self.request_id = request_id
        # Usage the provider reported before the failure (a truncated stream keeps it).
        self.usage: Usage | None = None

    @property
    def error_category(self) -> ErrorCategory:
        """The category of this error (an in-band error reports its cause's category)."""
        return self.category

    def __str__(self) -> str:
        facts: list[str] = []
        if self.provider:
            facts.append(f"provider={self.provider}")
        if self.status_code is not None:
            facts.append(f"status={self.status_code}")
        if self.code:
            facts.append(f"code={self.code}")
        if self.retry_after is not None:
            facts.append(f"retry_after={self.retry_after:g}s")
        if self.after_output:
            facts.append("after_output")
        return f"{self.message} ({', '.join(facts)})" if facts else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status_code={self.status_code!r}, retryable={self.retryable!r}, "
            f"retry_after={self.retry_after!r}, after_output={self.after_output!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing, task queues).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[LlmError], message: str, state: dict[str, object]) -> LlmError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


# --- refused before any output: the request itself -------------------------------------------


class AuthenticationError(LlmError):
    """401: the API key is missing, invalid or revoked."""

    category = ErrorCategory.AUTHENTICATION


class PermissionDeniedError(LlmError):
    """403: the key is valid but not allowed to do this (model, region, organisation)."""

    category = ErrorCategory.PERMISSION


class NotFoundError(LlmError):
    """404: unknown model or endpoint (often a wrong ``base_url``)."""

    category = ErrorCategory.NOT_FOUND


class BadRequestError(LlmError):
    """400/422: the provider rejected the request as malformed."""

    category = ErrorCategory.BAD_REQUEST


class ContextLengthExceededError(BadRequestError):
    """The prompt (plus the requested output) does not fit the model's context window."""

    category = ErrorCategory.CONTEXT_LENGTH


class ContentPolicyError(BadRequestError):
    """The provider refused the request for its content policy."""

    category = ErrorCategory.CONTENT_POLICY


class RateLimitError(LlmError):
    """429: too many requests for now; ``retry_after`` says how long to wait when known."""

    category = ErrorCategory.RATE_LIMIT
    default_retryable = True


class QuotaExceededError(LlmError):
    """Billing quota or spend limit reached: waiting a few seconds will not help."""

    category = ErrorCategory.QUOTA


class OverloadedError(LlmError):
    """529 / ``overloaded_error`` / 503: the provider is overloaded for everyone."""

    category = ErrorCategory.OVERLOADED
    default_retryable = True


class ServerError(LlmError):
    """5xx: the provider failed."""

    category = ErrorCategory.SERVER
    default_retryable = True


# --- transport ---------------------------------------------------------------------------------


class LlmConnectionError(LlmError):
    """The connection could not be made, or was reset while reading."""

    category = ErrorCategory.CONNECTION
    default_retryable = True


class LlmTimeoutError(LlmError):
    """A time limit expired; the subclass says which one."""

    category = ErrorCategory.TIMEOUT
    default_retryable = True
    timeout: float | None = None

    Connect: ClassVar[type[TimeoutConnectError]]
    FirstEvent: ClassVar[type[TimeoutFirstEventError]]
    Idle: ClassVar[type[TimeoutIdleError]]
    Deadline: ClassVar[type[TimeoutDeadlineError]]


class TimeoutConnectError(LlmTimeoutError):
    """The TCP/TLS connection was not established within the connect timeout."""


class TimeoutFirstEventError(LlmTimeoutError):
    """The response or its first event did not arrive within the first-event timeout."""


class TimeoutIdleError(LlmTimeoutError):
    """Nothing (not even a ping or comment) arrived within the idle timeout."""


class TimeoutDeadlineError(LlmTimeoutError):
    """The optional total deadline of the request expired."""

    default_retryable = False


LlmTimeoutError.Connect = TimeoutConnectError
LlmTimeoutError.FirstEvent = TimeoutFirstEventError
LlmTimeoutError.Idle = TimeoutIdleError
LlmTimeoutError.Deadline = TimeoutDeadlineError


# --- the stream itself -------------------------------------------------------------------------


class StreamError(LlmError):
    """The response started but its body broke the protocol or the limits."""

    category = ErrorCategory.STREAM

    Truncated: ClassVar[type[StreamTruncatedError]]
    Protocol: ClassVar[type[StreamProtocolError]]
    InBand: ClassVar[type[StreamInBandError]]
    TooLarge: ClassVar[type[StreamTooLargeError]]


class StreamTruncatedError(StreamError):
    """The body ended before the provider's end marker."""

    default_retryable = True


class StreamProtocolError(StreamError):
    """Undecodable framing or JSON, or events that break the provider's protocol."""


class StreamTooLargeError(StreamError):
    """An event, a line or the whole stream exceeded its size limit."""


class StreamInBandError(StreamError):
    """The provider reported an error inside a 200 stream (``event: error``, an error chunk).

    ``error_category`` is the category of the provider's error (e.g. ``OVERLOADED``), so a
    rate limit reported in-band can be told from a server fault.
    """

    def __init__(
        self,
        message: str,
        *,
        in_band_category: ErrorCategory = ErrorCategory.UNKNOWN,
        provider: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        after_output: bool = False,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            retryable=retryable,
            retry_after=retry_after,
            after_output=after_output,
            code=code,
            request_id=request_id,
        )
        self.in_band_category = in_band_category

    @property
    def error_category(self) -> ErrorCategory:
        return self.in_band_category


StreamError.Truncated = StreamTruncatedError
StreamError.Protocol = StreamProtocolError
StreamError.InBand = StreamInBandError
StreamError.TooLarge = StreamTooLargeError
