"""The idempotency key of a step: ``(run_id, turn, call_id)``, and how a tool reads it.

A durable engine may run a tool step again after a crash that happened between the tool's
side effect and the engine's checkpoint (at-least-once). A tool with side effects elsewhere
(a payment, an e-mail) passes ``idempotency_key()`` to that system so the second attempt is a
no-op there. The key is set for the duration of the step in a context variable, which
``asyncio`` tasks and ``asyncio.to_thread`` (sync tools) inherit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["StepKey", "idempotency_key", "step_key"]


@dataclass(frozen=True, slots=True)
class StepKey:
    """Which step of which run: ``call_id`` is empty for a model turn."""

    run_id: str
    turn: int
    call_id: str = ""

    def __post_init__(self) -> None:
        if not self.run_id:
            raise ValueError("a step key needs a run_id")
        if self.turn < 1:
            raise ValueError("turns count from 1")

    def __str__(self) -> str:
        return f"{self.run_id}/{self.turn}/{self.call_id or 'model'}"


_current: ContextVar[StepKey | None] = ContextVar("llmport_step_key", default=None)


def idempotency_key() -> StepKey | None:
    """The key of the tool step running now (None outside a durable step)."""
    return _current.get()


@contextmanager
def step_key(key: StepKey) -> Iterator[StepKey]:
    """Make ``key`` the current step's key while the block runs."""
    token = _current.set(key)
    try:
        yield key
    finally:
        _current.reset(token)
