"""What went wrong with one HTTP attempt, as a typed error and a retry verdict.

Split from the request's life (``http_source``) so that reading a stream and judging a failure
are apart: each function here turns one kind of failure (an error response, a transport error,
a timeout) into an ``LlmError``, and an error response also into the server's retry verdict,
returned with it as a :class:`Failure` (nothing is stashed for another method to find).
``retry_wait`` is the pure decision the attempt loop applies to a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmport.core.errors_map import HttpErrorInfo
from llmport.core.http_settings import Timeouts
from llmport.core.retry import (
    RetryPolicy,
    is_retry_status,
    parse_retry_after,
    should_retry_header,
)
from llmport.core.secrets import scrub, scrub_bytes, scrub_error
from llmport.core.transport import FaultKind
from llmport.domain.errors import (
    LlmConnectionError,
    LlmError,
    LlmTimeoutError,
    QuotaExceededError,
    TimeoutConnectError,
    TimeoutDeadlineError,
    TimeoutFirstEventError,
    TimeoutIdleError,
)

if TYPE_CHECKING:
    from llmport.core.http import HttpShell

__all__ = [
    "Failure",
    "http_failure",
    "read_error_body",
    "retry_wait",
    "retryable_before_output",
    "timeout_error",
    "transport_error",
]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt: the typed error, and the server's verdict on retrying it (None: the
    server said nothing; the error's own ``retryable`` decides)."""

    error: LlmError
    verdict: bool | None = None


def retryable_before_output(error: LlmError) -> bool:
    """Whether a failure with no HTTP verdict may be retried before output.

    A first-event, idle or deadline timeout is not: the wait was already long (the SDKs'
    10-minute default would triple); connection failures and retryable in-band errors are.
    """
    if isinstance(error, TimeoutFirstEventError | TimeoutIdleError | TimeoutDeadlineError):
        return False
    return error.retryable


def retry_wait(
    failure: Failure,
    *,
    policy: RetryPolicy,
    retries_taken: int,
    now: float,
    deadline_at: float | None,
) -> float | None:
    """Seconds to wait before retrying ``failure``, or None when it must not be retried."""
    error = failure.error
    retry = retryable_before_output(error) if failure.verdict is None else failure.verdict
    if not retry or retries_taken >= policy.max_retries:
        return None
    wait = error.retry_after
    if wait is not None and wait > policy.max_retry_after:
        return None  # the server asks for longer than we wait: fail now, retry_after set
    if wait is None:
        wait = policy.backoff(retries_taken)
    if deadline_at is not None and now + wait >= deadline_at:
        return None
    return wait


async def read_error_body(
    chunks: AsyncIterator[bytes],
    limit: int,
    until: float,
    errors: tuple[type[BaseException], ...],
) -> bytes:
    """At most ``limit`` bytes of an error response's body, read until the loop time ``until``
    (``errors``: the transport's exceptions, which end the reading as a timeout does)."""
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout_at(until):
            async for chunk in chunks:
                parts.append(chunk)
                size += len(chunk)
                if size >= limit:
                    break
    except (TimeoutError, LlmError):
        pass  # the status alone is enough to report
    except errors:
        pass
    return b"".join(parts)[:limit]


def http_failure(
    shell: HttpShell, status: int, headers: Mapping[str, str], raw_body: bytes
) -> Failure:
    """An error response as a typed error (body and request id scrubbed) and its verdict."""
    secrets = shell._secrets
    request_id = headers.get("x-request-id") or headers.get("request-id")
    if request_id is not None:
        request_id = scrub(request_id, secrets)
    info = HttpErrorInfo(
        status_code=status,
        headers=headers,
        body=scrub_bytes(raw_body, secrets),
        provider=shell.provider,
        request_id=request_id,
    )
    error = scrub_error(shell.error_mapper(info), secrets)
    if error.provider is None:
        error.provider = shell.provider
    if error.status_code is None:
        error.status_code = status
    if error.request_id is None:
        error.request_id = request_id
    wait = parse_retry_after(headers)
    if wait is not None:
        error.retry_after = wait
    verdict = should_retry_header(headers)
    if verdict is None or isinstance(error, QuotaExceededError):
        # The server's x-should-retry wins, except over a body that says quota or spend
        # limit: waiting will not fix that, and a retry is one more billed request.
        verdict = error.retryable and is_retry_status(status)
    return Failure(error, verdict)


def transport_error(
    kind: FaultKind, name: str, *, host: str, provider: str, connect: float, during: str
) -> LlmError:
    """A transport failure as a typed error (its host, never its URL): ``kind`` is what the
    transport made of its exception, ``name`` the exception's class name (for the message)."""
    if kind == "connect_timeout":
        timeout = TimeoutConnectError(
            f"could not connect to {host} within {connect:g}s", provider=provider
        )
        timeout.timeout = connect
        return timeout
    if kind == "connect":
        return LlmConnectionError(f"could not connect to {host} ({name})", provider=provider)
    if kind == "timeout":
        return TimeoutIdleError(
            f"the HTTP client timed out while {during} ({name})", provider=provider
        )
    if kind == "unreachable":
        return LlmConnectionError(
            f"cannot reach {host}: {name}", provider=provider, retryable=False
        )
    if kind == "network":
        return LlmConnectionError(
            f"the connection to {host} failed while {during} ({name})", provider=provider
        )
    return LlmConnectionError(
        f"HTTP failure while {during} ({name})", provider=provider, retryable=False
    )


def timeout_error(timeouts: Timeouts, provider: str, *, is_deadline: bool, first: bool) -> LlmError:
    """The typed timeout for the limit that expired."""
    error: LlmTimeoutError
    if is_deadline:
        error = TimeoutDeadlineError(
            f"the request's deadline of {timeouts.deadline:g}s expired", provider=provider
        )
        error.timeout = timeouts.deadline
    elif first:
        error = TimeoutFirstEventError(
            f"no event within {timeouts.first_event:g}s of sending the request", provider=provider
        )
        error.timeout = timeouts.first_event
    else:
        error = TimeoutIdleError(
            f"nothing received for {timeouts.idle:g}s (idle timeout)", provider=provider
        )
        error.timeout = timeouts.idle
    return error
