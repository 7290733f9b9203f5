"""Keeping API keys out of reprs, logs and error messages.

A key lives in a :class:`Secret` from the moment an adapter reads it: ``repr``/``str``/f-strings
show ``***``, pickling is refused, and the value comes out only through ``reveal()`` when the
HTTP shell builds a request's headers. Keys go in headers only, never in URLs (an httpx error
message carries the URL).

``scrub(text, secrets)`` removes secret values from text the provider sent back (an error body
may echo the key); ``redact_headers`` masks the credential headers of a mapping; and
``RedactingFilter`` is a ``logging.Filter`` that does both for log records, installed by
``install_log_redaction()`` on llmport's loggers and those of every transport's library
(httpx/httpcore, httpx2/httpcore2, aiohttp, hpack).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NoReturn

from llmport.domain.errors import LlmError
from llmport.domain.redaction import register_secret

__all__ = [
    "scrub_error",
    "scrub_value",
    "SENSITIVE_HEADERS",
    "RedactingFilter",
    "Secret",
    "install_log_redaction",
    "redact_headers",
    "scrub",
]

SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
    }
)
"""Header names whose values are never shown (compared lower-case)."""

MASK: Final = "***"

# Every live Secret, so the logging filter can scrub values it was never told about. Keyed by
# identity: Secrets compare by value, and in a WeakSet a new Secret equal to a dying one was
# dropped with it (its value then escaped the filter).
_LIVE: weakref.WeakValueDictionary[int, Secret] = weakref.WeakValueDictionary()


class Secret:
    """A credential whose value is shown only by ``reveal()``."""

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a secret must be a non-empty string")
        self._value = value
        _LIVE[id(self)] = self
        for fragment in self.fragments():  # so the agent can scrub tool results of it
            register_secret(fragment)

    def reveal(self) -> str:
        """The value itself: only for building a request's headers."""
        return self._value

    def fragments(self) -> tuple[str, ...]:
        """The strings to scrub: the value and, for ``"Bearer <token>"``, the token."""
        _, sep, token = self._value.partition(" ")
        if sep and len(token) >= 8:
            return (self._value, token)
        return (self._value,)

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("llmport.Secret", self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def scrub(text: str, secrets: Iterable[Secret]) -> str:
    """``text`` with every secret value (and bearer token) replaced by ``***``."""
    for secret in secrets:
        for fragment in secret.fragments():
            if fragment in text:
                text = text.replace(fragment, MASK)
    return text


def scrub_error(error: LlmError, secrets: Sequence[Secret]) -> LlmError:
    """``error`` with every server-originated string (message, code, request id, args) scrubbed.

    The one place every present and future wire passes its errors through: an in-band error
    event or a gateway that echoes the request's key must not carry it into ``str()``,
    ``repr()`` or a log line.
    """
    if not secrets:
        return error
    for name in ("message", "code", "request_id"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            setattr(error, name, scrub(value, secrets))
    error.args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in error.args)
    return error


def scrub_value(value: Any, secrets: Sequence[Secret]) -> Any:
    """A JSON value (a provider block) with every secret scrubbed from its strings."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {scrub_value(k, secrets): scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v, secrets) for v in value]
    return value


def scrub_bytes(data: bytes, secrets: Iterable[Secret]) -> bytes:
    """``data`` with every secret value replaced by ``***``."""
    for secret in secrets:
        for fragment in secret.fragments():
            raw = fragment.encode()
            if raw in data:
                data = data.replace(raw, MASK.encode())
    return data


def redact_headers(
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]], extra: Iterable[str] = ()
) -> dict[str, str]:
    """A copy of ``headers`` with credential values masked (for logs and reprs)."""
    names = SENSITIVE_HEADERS | {e.lower() for e in extra}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for key, value in items:
        name = key.decode() if isinstance(key, bytes) else str(key)
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        out[name] = MASK if name.lower() in names else text
    return out


class RedactingFilter(logging.Filter):
    """Masks credential headers and live secret values in a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping) and "headers" in args:
            headers: Any = args["headers"]
            record.args = {**args, "headers": redact_headers(headers)}
        secrets = list(_LIVE.values())
        if secrets:
            try:
                message = record.getMessage()
            except Exception:  # a broken record is the logging module's business
                return True
            cleaned = scrub(message, secrets)
            if cleaned != message:
                record.msg = cleaned
                record.args = None
        return True


_FILTER: Final = RedactingFilter()
_LOGGERS: Final = (
    "llmport",
    "llmport.http",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    # httpx2 (the default transport) and its httpcore2: the same records, under new names.
    "httpx2",
    "httpcore2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
    # aiohttp (the aiohttp transport): the client's and the internal logger.
    "aiohttp",
    "aiohttp.client",
    "aiohttp.internal",
    # HTTP/2 (an injected ``http2=True`` client): hpack logs every header it encodes at DEBUG.
    "hpack.hpack",
    "hpack.table",
)


def install_log_redaction(extra: Sequence[str] = ()) -> None:
    """Add the redacting filter to llmport's and the transports' loggers, and to the ``extra``
    ones an integration's library logs on (idempotent).

    A logger's filters see only the records logged on that very logger, so the list names each
    logger that may see a request: llmport's HTTP shell, httpx and httpx2, httpcore's and
    httpcore2's modules, aiohttp's client loggers and hpack's.
    """
    for name in (*_LOGGERS, *extra):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
