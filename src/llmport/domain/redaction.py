"""Secrets the process knows, so text that leaves a tool can be scrubbed of them.

The agent loop may not see the adapters' keys (it sees only the domain and the ports), yet a
tool that raises with a key in its message ("401 for key sk-...") would otherwise send that key
into the tool result, the transcript, the run log and the next request to the model. So the
shell registers every credential it is given here, a user may register their own
(``register_secret``), and the agent passes every tool result through ``redact``.

What is covered: every tool result the agent builds (a tool's return value and every error
text, including exceptions and timeouts) holds no registered secret, whole or as a bearer token.
What is not: a secret never registered (a tool's own token read from a file: register it), or
one split, encoded or transformed by the tool (base64, reversed ...). Registered values stay
registered for the life of the process, held only in memory.
"""

from __future__ import annotations

import threading
from typing import Final

__all__ = ["MASK", "redact", "register_secret", "registered_count"]

MASK: Final = "***"
_MIN_LENGTH: Final = 8  # shorter values would mask ordinary words
_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()


def register_secret(value: str) -> None:
    """Scrub ``value`` from every tool result from now on (values under 8 characters are
    ignored: masking them would corrupt ordinary text)."""
    global _secrets
    value = value.strip()
    if len(value) < _MIN_LENGTH:
        return
    with _lock:
        _secrets = _secrets | {value}


def registered_count() -> int:
    return len(_secrets)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _secrets:  # a snapshot: the frozenset is replaced, never changed
        if secret in text:
            text = text.replace(secret, MASK)
    return text
