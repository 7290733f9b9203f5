"""The progress line: counts, tokens and rate; drawn only on a terminal unless forced."""

from __future__ import annotations

import io

from llmport import Usage
from llmport.batch import BatchProgress, RunRecord


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_counts_runs_failures_tokens_and_the_rate() -> None:
    clock, out = Clock(), io.StringIO()
    meter = BatchProgress(10, stream=out, force=True, interval=0.0, clock=clock)
    meter.skip(2)
    clock.now = 102.0
    meter.add(RunRecord("a", "ok", "x", Usage(10, 5), 1, 0.1))
    meter.add(RunRecord("b", "failed", None, None, 1, 0.1))
    assert meter.line() == "2/8 runs · 1 failed · 15 tokens · 2 already done · 1.0 runs/s"
    meter.finish()
    assert out.getvalue().startswith("\r1/8 runs · 0 failed")  # redrawn on each record
    assert out.getvalue().endswith("\n")
    assert "\x1b" not in out.getvalue()


def test_nothing_is_drawn_when_the_stream_is_not_a_terminal() -> None:
    out = io.StringIO()
    meter = BatchProgress(stream=out)
    meter.add(RunRecord("a", "ok", "x", None, 1, 0.1))
    meter.finish()
    assert out.getvalue() == ""
    assert meter.line().startswith("1 runs · 0 failed · tokens unknown")  # absent is not 0
