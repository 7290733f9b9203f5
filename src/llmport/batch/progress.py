"""Progress of a batch on a terminal: runs done and failed, tokens, the rate, one line.

The line is redrawn in place (carriage return) at most every ``interval`` seconds and only on a
terminal (or when ``force``); ``finish`` leaves a last line that stays.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from llmport.batch.records import RunRecord

__all__ = ["BatchProgress"]


class BatchProgress:
    """Counts records and draws the progress line on ``stream`` (stderr by default)."""

    def __init__(
        self,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        force: bool = False,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or self.stream.isatty()
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self.tokens = 0
        self._drawn = float("-inf")

    def skip(self, count: int) -> None:
        """``count`` runs were already done (resumed)."""
        self.skipped += count

    def add(self, record: RunRecord) -> None:
        self.done += 1
        if not record.ok:
            self.failed += 1
        if record.usage is not None:
            self.tokens += record.usage.total_tokens
        now = self.clock()
        if self.enabled and now - self._drawn >= self.interval:
            self._drawn = now
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()

    def rate(self) -> float:
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        of = f"/{self.total - self.skipped}" if self.total is not None else ""
        parts = [f"{self.done}{of} runs", f"{self.failed} failed", f"{self.tokens:,} tokens"]
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        parts.append(f"{self.rate():.1f} runs/s")
        return " · ".join(parts)

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line() + "\x1b[K\n")
            self.stream.flush()
