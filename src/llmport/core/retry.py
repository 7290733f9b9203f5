"""When to try a request again, and how long to wait first.

The rules match (or beat) the official SDKs' defaults:

- only before the first event was yielded (the shell enforces that part);
- ``x-should-retry: true|false`` from the server wins over everything else but a quota or
  spend-limit error (the shell never retries those: waiting will not fix them);
- otherwise the statuses 408, 409, 429, 5xx (529 included) are retried, unless the mapped error
  says it is not retryable (OpenAI ``insufficient_quota`` is a 429 that waiting will not fix);
- the server's wait (``retry-after-ms``, then ``Retry-After`` in seconds or as an HTTP date) is
  honoured up to ``max_retry_after`` (60 s); a longer one fails at once, with ``retry_after`` set
  on the error so the caller can decide;
- without one: ``min(0.5 * 2**n, 8) * U(0.75, 1)`` seconds before retry ``n`` (0-based);
- ``max_retries`` (2) retries in all, HTTP and in-band ones counted together.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = [
    "RETRY_STATUSES",
    "RetryPolicy",
    "is_retry_status",
    "parse_retry_after",
    "should_retry_header",
]


RETRY_STATUSES = frozenset({408, 409, 429, *range(500, 600)})
"""The statuses retried by default (``x-should-retry`` may say otherwise)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many retries, and how long to wait between them."""

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based) when the server said nothing."""
        base = min(self.initial_backoff * 2.0**retry_number, self.max_backoff)
        return base * (1.0 - 0.25 * rand())


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    """The server's ``x-should-retry`` verdict, or None when it gave none."""
    value = headers.get("x-should-retry")
    if value is None:
        return None
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


MAX_REPORTED_RETRY_AFTER = 86_400.0
"""A server's wait longer than a day is reported as a day (it is not retried anyway)."""


def _seconds(value: float) -> float | None:
    # inf, NaN and negative waits are nonsense from the server: ignored, as if absent.
    if not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_REPORTED_RETRY_AFTER)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``Retry-After``).

    Non-finite or negative values are ignored; a wait beyond a day is reported as a day.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            ms = _seconds(float(value) / 1000.0)
        except ValueError:
            ms = None
        if ms is not None:
            return ms
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        current = time.time() if now is None else now
        return _seconds(max(0.0, when.timestamp() - current))
    return _seconds(seconds)


def is_retry_status(status: int) -> bool:
    """Whether ``status`` is retried when the server sends no ``x-should-retry``."""
    return status in RETRY_STATUSES
