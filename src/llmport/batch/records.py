"""One batch run in, one record out: ``run_one`` never raises for a run's own failure.

A record is what the driver keeps of a run (``results.jsonl`` has one line per record, without
the transcript, which goes to its own file): the id, ``ok`` or ``failed``, the final text, the
usage, the turns, and for a failure the error's type (``AgentInternalError`` ...), the type of
its cause (``RateLimitError`` ...) and its message. A run is one record, however many events it
had: shipping every event to the driver costs more than the run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, TypeAlias

from llmport.agent.errors import AgentError
from llmport.agent.events import RunFinished, TurnFinished
from llmport.agent.loop import Agent, AgentResult, Prompt
from llmport.agent.output import MAX_ERROR_BYTES, cap
from llmport.domain.events import Usage
from llmport.domain.messages import AgentMessage
from llmport.domain.redaction import redact

__all__ = ["AgentFactory", "BatchItem", "RunRecord", "Status", "check_id", "run_one"]

AgentFactory: TypeAlias = Callable[[str], Agent]
"""Builds the agent for one run, on the worker, from the run id (a fresh agent per run)."""

Status: TypeAlias = Literal["ok", "failed"]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_id(run_id: str) -> str:
    """``run_id`` if it is usable as a file name everywhere, else ``ValueError``."""
    if not isinstance(run_id, str) or not _ID.fullmatch(run_id):
        raise ValueError(
            f"run id {run_id!r} must be 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return run_id


@dataclass(frozen=True)
class BatchItem:
    """One run to do."""

    id: str
    prompt: Prompt


@dataclass(frozen=True)
class RunRecord:
    """What is kept of one finished run."""

    id: str
    status: Status
    text: str | None
    usage: Usage | None
    turns: int
    seconds: float
    error_type: str | None = None
    error_cause: str | None = None
    error: str | None = None
    transcript: tuple[AgentMessage, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """The ``results.jsonl`` line (the transcript is stored apart)."""
        return {
            "id": self.id,
            "status": self.status,
            "text": self.text,
            "usage": None if self.usage is None else self.usage.to_dict(),
            "turns": self.turns,
            "seconds": round(self.seconds, 6),
            "error_type": self.error_type,
            "error_cause": self.error_cause,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        status = data.get("status")
        if status not in ("ok", "failed"):
            raise ValueError(f"unknown run status {status!r}")
        usage = data.get("usage")
        return cls(
            id=check_id(data.get("id")),  # type: ignore[arg-type]
            status=status,
            text=data.get("text"),
            usage=None if usage is None else Usage.from_dict(usage),
            turns=int(data.get("turns", 0)),
            seconds=float(data.get("seconds", 0.0)),
            error_type=data.get("error_type"),
            error_cause=data.get("error_cause"),
            error=data.get("error"),
        )

    @classmethod
    def failure(
        cls,
        run_id: str,
        error: BaseException,
        seconds: float,
        transcript: Sequence[AgentMessage] = (),
    ) -> RunRecord:
        """The record of a run that ended with ``error`` (an ``AgentError`` keeps its run)."""
        cause = error.__cause__
        usage = error.usage if isinstance(error, AgentError) else None
        turns = error.turns if isinstance(error, AgentError) else 0
        if isinstance(error, AgentError):
            transcript = error.transcript
        return cls(
            id=run_id,
            status="failed",
            text=None,
            usage=usage,
            turns=turns,
            seconds=seconds,
            error_type=type(error).__name__,
            error_cause=None if cause is None else type(cause).__name__,
            error=cap(redact(str(error)), MAX_ERROR_BYTES),
            transcript=tuple(transcript),
        )


async def run_one(factory: AgentFactory, item: BatchItem) -> RunRecord:
    """Run ``item`` to its end; every failure (the factory's too) is a ``failed`` record.

    Usage that no turn reported stays unknown (``None``), never zeros: a server that sends no
    usage must not read as a free run in ``results.jsonl``.
    """
    started = time.perf_counter()
    reported = False
    result: AgentResult | None = None
    try:
        agent = factory(item.id)
        async with agent.stream(item.prompt) as events:
            async for event in events:
                if isinstance(event, TurnFinished):
                    reported = reported or event.usage is not None
                elif isinstance(event, RunFinished):
                    result = event.result
    except Exception as error:
        record = RunRecord.failure(item.id, error, time.perf_counter() - started)
        return record if reported else replace(record, usage=None)
    if result is None:  # pragma: no cover - the loop always ends with RunFinished or raises
        raise AssertionError("an agent run ended without RunFinished")
    return RunRecord(
        id=item.id,
        status="ok",
        text=result.text,
        usage=result.usage if reported else None,
        turns=result.turns,
        seconds=time.perf_counter() - started,
        transcript=result.transcript,
    )
