"""How the CLI shows a run: on a terminal, in a pipe, or as NDJSON for scripts.

``TerminalRenderer`` (rich, imported only when stdout is a terminal) streams the answer as it
is generated, shows each tool call and its result as it happens in colour, and spins while the
model loads or a tool runs. ``PlainRenderer`` writes the answer alone to stdout (tool activity
goes to stderr as plain lines), so ``llmport run ... | wc`` sees only the answer.
``JsonRenderer`` writes one JSON object per agent event (``event.to_dict()``) per line.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol, TextIO

from llmport.agent.events import (
    AgentEvent,
    AgentReasoningDelta,
    AgentTextDelta,
    RunFinished,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from llmport.domain.events import Usage
from llmport.domain.messages import ToolCall

__all__ = ["JsonRenderer", "PlainRenderer", "Renderer", "TerminalRenderer", "make_renderer"]

_MAX_SHOWN = 300


def _short(text: str, limit: int = _MAX_SHOWN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _call_text(call: ToolCall) -> str:
    arguments = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in call.arguments.items()
    )
    return f"{call.name}({arguments})"


def usage_text(usage: Usage | None, turns: int, seconds: float) -> str:
    """The figures line; usage the provider never reported is said to be unknown, not 0."""
    tokens = (
        "usage unknown"
        if usage is None
        else f"{usage.input_tokens} in / {usage.output_tokens} out tokens"
    )
    return f"{turns} turn{'s' if turns != 1 else ''} · {tokens} · {seconds:.1f} s"


class Renderer(Protocol):
    def status(self, message: str) -> AbstractContextManager[Any]: ...

    def waiting(self) -> None:
        """The model is working: show it until the next event (a terminal spins)."""
        ...

    def close(self) -> None: ...

    def event(self, event: AgentEvent) -> None: ...

    def summary(self, text: str) -> None: ...

    def error(self, message: str) -> None: ...

    def notice(self, message: str) -> None: ...


class _PipeRenderer:
    """Writes to plain streams: no spinner, nothing to stop."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        # Resolved now, not at import: whatever sys.stdout is when the command runs.
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr

    def status(self, message: str) -> AbstractContextManager[Any]:
        return nullcontext()

    def waiting(self) -> None:
        pass

    def close(self) -> None:
        pass


class JsonRenderer(_PipeRenderer):
    """NDJSON: one agent event per line on stdout; errors as ``{"type": "error"}`` lines."""

    def _line(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
        self.out.flush()

    def event(self, event: AgentEvent) -> None:
        self._line(event.to_dict())

    def summary(self, text: str) -> None:
        pass

    def error(self, message: str) -> None:
        self._line({"type": "error", "message": message})
        self.err.write(f"llmport: error: {message}\n")

    def notice(self, message: str) -> None:
        pass


class PlainRenderer(_PipeRenderer):
    """The answer on stdout as it streams; tool activity and notes on stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        super().__init__(out, err)
        self._at_line_start = True

    def _text(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._at_line_start = text.endswith("\n")

    def _end_line(self) -> None:
        if not self._at_line_start:
            self._text("\n")

    def event(self, event: AgentEvent) -> None:
        match event:
            case AgentTextDelta(text=text):
                self._text(text)
            case AgentReasoningDelta():
                pass
            case ToolCallStarted(call=call):
                self._end_line()
                self.err.write(f"[tool] {_call_text(call)}\n")
                self.err.flush()
            case ToolCallFinished(result=result):
                kind = "error" if result.is_error else "result"
                self.err.write(f"[tool {kind}] {_short(result.content)}\n")
                self.err.flush()
            case TurnFinished() | RunFinished():
                self._end_line()

    def summary(self, text: str) -> None:
        pass  # a pipe gets the answer only

    def error(self, message: str) -> None:
        self._end_line()
        self.err.write(f"llmport: error: {message}\n")

    def notice(self, message: str) -> None:
        self.err.write(f"{message}\n")


class TerminalRenderer:
    """Colour, a spinner, and the answer streamed as it is generated (rich)."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)
        self.err_console = Console(stderr=True, highlight=False)
        self._at_line_start = True
        self._spinner: Any = None

    def status(self, message: str) -> AbstractContextManager[Any]:
        return self.console.status(f"[dim]{message}[/]", spinner="dots")

    def _spin(self, message: str) -> None:
        self._unspin()
        self._spinner = self.console.status(f"[dim]{message}[/]", spinner="dots")
        self._spinner.start()

    def _unspin(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def waiting(self) -> None:
        self._spin("thinking…")

    def close(self) -> None:
        self._unspin()

    def _text(self, text: str) -> None:
        self.console.out(text, end="", highlight=False)
        self.console.file.flush()
        self._at_line_start = text.endswith("\n")

    def _end_line(self) -> None:
        if not self._at_line_start:
            self._text("\n")

    def event(self, event: AgentEvent) -> None:
        from rich.markup import escape

        self._unspin()
        match event:
            case AgentTextDelta(text=text):
                self._text(text)
            case AgentReasoningDelta(text=text):
                self.console.out(text, end="", style="dim italic", highlight=False)
            case ToolCallStarted(call=call):
                self._end_line()
                self.console.print(f"[cyan]⚙ {escape(_call_text(call))}[/]")
                self._spin(f"running {call.name}…")
            case ToolCallFinished(result=result, duration=duration):
                colour = "red" if result.is_error else "green"
                self.console.print(
                    f"[{colour}]  → {escape(_short(result.content))}[/] [dim]({duration:.2f} s)[/]"
                )
                self._spin("thinking…")
            case TurnFinished() | RunFinished():
                self._end_line()

    def summary(self, text: str) -> None:
        self.console.print(f"[dim]{text}[/]")

    def error(self, message: str) -> None:
        from rich.markup import escape

        self._unspin()
        self._end_line()
        self.err_console.print(f"llmport: [bold red]error:[/] {escape(message)}")

    def notice(self, message: str) -> None:
        self.console.print(f"[dim]{message}[/]")


class WholeAnswerRenderer:
    """``--no-stream``: the answer of each turn printed whole when the turn ends, not as it
    streams (tool activity, notes and errors pass through as they come)."""

    def __init__(self, inner: Renderer) -> None:
        self.inner = inner
        self._pieces: list[str] = []

    def status(self, message: str) -> AbstractContextManager[Any]:
        return self.inner.status(message)

    def waiting(self) -> None:
        self.inner.waiting()

    def close(self) -> None:
        self.inner.close()

    def event(self, event: AgentEvent) -> None:
        from llmport.agent.events import AgentTextDelta, TurnFinished

        if isinstance(event, AgentTextDelta):
            self._pieces.append(event.text)
            return
        if isinstance(event, TurnFinished) and self._pieces:
            self.inner.event(AgentTextDelta("".join(self._pieces), event.turn))
            self._pieces.clear()
        self.inner.event(event)

    def summary(self, text: str) -> None:
        self.inner.summary(text)

    def error(self, message: str) -> None:
        self.inner.error(message)

    def notice(self, message: str) -> None:
        self.inner.notice(message)


def make_renderer(*, json_output: bool, stream: TextIO | None = None) -> Renderer:
    """NDJSON when asked, rich on a terminal, plain text otherwise."""
    if json_output:
        return JsonRenderer()
    out = stream if stream is not None else sys.stdout
    if out.isatty() and not os.environ.get("NO_COLOR"):
        return TerminalRenderer()
    return PlainRenderer()  # a pipe, or NO_COLOR (no-color.org): no escape code at all
