"""Progress of a batch on a terminal: runs done and failed, tokens, the rate, one line.

The line is redrawn in place (a carriage return, and spaces over a longer previous line: no
escape code) at most every ``interval`` seconds and only on a terminal (or when ``force``);
``finish`` leaves a last line that stays. Tokens are counted from the usage the runs report
("tokens unknown" while none has: absent is not zero).
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
        self.usage_seen = False
        self._drawn = float("-inf")
        self._width = 0

    def skip(self, count: int) -> None:
        """``count`` runs were already done (resumed)."""
        self.skipped += count

    def add(self, record: RunRecord) -> None:
        self.done += 1
        if not record.ok:
            self.failed += 1
        if record.usage is not None:
            self.usage_seen = True
            self.tokens += record.usage.total_tokens
        now = self.clock()
        if self.enabled and now - self._drawn >= self.interval:
            self._drawn = now
            self._draw()

    def rate(self) -> float:
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        of = f"/{self.total - self.skipped}" if self.total is not None else ""
        tokens = f"{self.tokens:,} tokens" if self.usage_seen else "tokens unknown"
        parts = [f"{self.done}{of} runs", f"{self.failed} failed", tokens]
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        parts.append(f"{self.rate():.1f} runs/s")
        return " · ".join(parts)

    def _draw(self, end: str = "") -> None:
        # Padded with spaces over the previous line: no escape code (NO_COLOR terminals too).
        line = self.line()
        self.stream.write("\r" + line.ljust(self._width) + end)
        self.stream.flush()
        self._width = len(line)

    def finish(self) -> None:
        if self.enabled:
            self._draw("\n")
