"""Running one agent exchange for the CLI: build the port and tools, stream, log, survive Ctrl-C.

``exchange`` streams an agent run through a renderer and records it in the run log whatever
happens: a finished run with its transcript and usage, a failed one with the error and what
the run had produced, an interrupted one (Ctrl-C, i.e. the task cancelled) with the partial
transcript, including the text streamed so far in the turn that was cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from llmport.agent.errors import AgentError
from llmport.agent.events import (
    AgentEvent,
    AgentTextDelta,
    RunFinished,
    ToolCallFinished,
    TurnFinished,
)
from llmport.agent.loop import Agent, AgentResult
from llmport.agent.tools import Tool, ToolRegistry, error_result
from llmport.cli.builtin_tools import BUILTIN_TOOLS
from llmport.cli.render import Renderer, usage_text
from llmport.cli.store import RunStore
from llmport.connect import UnknownProviderError, connect
from llmport.domain.errors import AuthenticationError, LlmError
from llmport.domain.events import Usage
from llmport.domain.messages import AgentMessage, AssistantMessage, ToolCall, ToolMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition
from llmport.ports import LlmCompletionPort, ToolExecutorPort

if TYPE_CHECKING:
    from llmport.mcp import McpServer

__all__ = [
    "CliError",
    "CombinedTools",
    "Exchange",
    "build_port",
    "exchange",
    "load_tools",
    "mcp_servers",
    "new_runner",
]

T = TypeVar("T")


class CliError(Exception):
    """A problem the user fixes in the command or environment; ``code`` is the exit code."""

    def __init__(self, message: str, *, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def build_port(
    model: str, *, base_url: str | None = None, key: str | None = None
) -> LlmCompletionPort:
    """``connect(model)``, its failures turned into the CLI's one-line errors.

    The adapters themselves say which environment variable a missing key lives in; the CLI
    says it in a CLI user's words (``--key``, not ``api_key=``).
    """
    given: dict[str, Any] = {}
    if base_url is not None:
        given["base_url"] = base_url
    if key is not None:
        given["api_key"] = key
    try:
        return connect(model, **given)
    except UnknownProviderError as error:
        raise CliError(f"{error} (llmport models lists them)") from None
    except AuthenticationError as error:
        message = error.message.replace("pass api_key=", "pass --key")
        raise CliError(f"{message} (or use --model local, which needs none)") from None
    except TypeError as error:  # base_url= or api_key= given to a model that takes none
        raise CliError(f"{model}: {error}") from None
    except (LlmError, ValueError) as error:  # a missing model file, llama.cpp not installed ...
        raise CliError(getattr(error, "message", str(error))) from None


def parse_options(pairs: Sequence[Sequence[str]]) -> CallOptions | None:
    """``-o KEY VALUE`` pairs as ``CallOptions`` (VALUE is JSON when it parses, else text; a
    repeated ``stop`` collects every value)."""
    if not pairs:
        return None
    values: dict[str, Any] = {}
    for key, raw in pairs:
        name = key.replace("-", "_")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if name == "stop" and name in values:
            previous = values[name]
            value = [*(previous if isinstance(previous, list) else [previous]), value]
        values[name] = value
    try:
        return CallOptions.from_dict(values)
    except (ValueError, TypeError) as error:
        known = ", ".join(CallOptions.field_names())
        raise CliError(f"bad -o option: {error} (options: {known})") from None


def load_tools(names: Sequence[str], files: Sequence[str]) -> list[Tool]:
    """The built-in tools named with ``--tool`` and the ``@tool`` functions of ``--tools`` files."""
    tools: list[Tool] = []
    for name in names:
        found = BUILTIN_TOOLS.get(name)
        if found is None:
            raise CliError(
                f"unknown built-in tool {name!r}; available: {', '.join(sorted(BUILTIN_TOOLS))}"
            )
        if found not in tools:
            tools.append(found)
    for file in files:
        tools.extend(_tools_from_file(Path(file)))
    seen: set[str] = set()
    for item in tools:
        if item.name in seen:
            raise CliError(f"two tools are named {item.name!r}")
        seen.add(item.name)
    return tools


def _tools_from_file(path: Path) -> list[Tool]:
    if not path.is_file():
        raise CliError(f"no tools file at {path}")
    spec = importlib.util.spec_from_file_location(f"llmport_user_tools_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise CliError(f"could not load {path}: {type(error).__name__}: {error}") from None
    finally:
        sys.path.pop(0)
    found = [value for value in vars(module).values() if isinstance(value, Tool)]
    if not found:
        raise CliError(f"{path} defines no @tool functions")
    return found


class _DaemonThreadExecutor(ThreadPoolExecutor):
    """The CLI's default executor: one daemon thread per call, never waited for.

    A sync tool cannot be killed. With the standard pool, a tool abandoned after its timeout
    or Ctrl-C keeps the command from exiting: closing the loop and leaving the interpreter
    both wait for the pool's threads. Daemon threads end with the process instead. (A
    ``ThreadPoolExecutor`` only because asyncio requires one; it never starts its pool.)
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="llmport-tool", daemon=True).start()
        return future


def new_runner() -> asyncio.Runner:
    """The event loop of one CLI command: it never waits for an abandoned tool thread."""
    runner = asyncio.Runner()
    runner.get_loop().set_default_executor(_DaemonThreadExecutor())
    return runner


@dataclass
class Exchange:
    """What one run produced (also when it failed or was interrupted)."""

    transcript: list[AgentMessage]
    usage: Usage = field(default_factory=Usage)
    usage_known: bool = False
    """Whether the provider reported usage at all (a server may send none: unknown, not 0)."""
    turns: int = 0
    finish_reason: str | None = None
    partial: list[str] = field(default_factory=list)
    result: AgentResult | None = None

    def on_event(self, event: AgentEvent) -> None:
        match event:
            case AgentTextDelta(text=text):
                self.partial.append(text)
            case TurnFinished(turn=turn, usage=usage, message=message, finish_reason=reason):
                self.transcript.append(message)
                self.partial.clear()
                self.turns = turn
                self.finish_reason = reason.value
                if usage is not None:
                    self.usage = self.usage + usage
                    self.usage_known = True
            case ToolCallFinished(result=result):
                self.transcript.append(result)
            case RunFinished(result=result):
                self.result = result
                self.transcript = list(result.transcript)
                self.usage = result.usage
                self.turns = result.turns
                self.finish_reason = result.finish_reason.value
            case _:
                pass

    def partial_transcript(self) -> list[AgentMessage]:
        if self.partial:
            return [*self.transcript, AssistantMessage(text="".join(self.partial))]
        return list(self.transcript)


class McpStartError(Exception):
    """An MCP server given with --mcp / --mcp-url could not be started or listed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextlib.asynccontextmanager
async def _mcp(servers: Sequence[McpServer]) -> AsyncIterator[ToolExecutorPort]:
    """The MCP servers' tools for one exchange (their stdio processes stopped on leaving)."""
    from llmport.mcp import McpError, McpTools

    tools = McpTools(*servers)
    try:
        await tools.__aenter__()
    except McpError as error:
        raise McpStartError(error.message) from None
    try:
        yield tools
    finally:
        await tools.aclose()


def mcp_servers(
    commands: Sequence[str], urls: Sequence[str], headers: Sequence[str]
) -> list[McpServer]:
    """``--mcp "[PREFIX=]command"``, ``--mcp-url [PREFIX=]URL`` and ``--mcp-header "Name: value"``
    (sent to every ``--mcp-url`` server, held as a secret when it carries a credential)."""
    if not commands and not urls:
        if headers:
            raise CliError("--mcp-header needs an --mcp-url")
        return []
    if importlib.util.find_spec("mcp") is None:
        raise CliError("--mcp needs the mcp extra: pip install 'llmport[mcp]'")
    from llmport.mcp import McpServer

    parsed: dict[str, str] = {}
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip() or not value.strip():
            raise CliError("--mcp-header must look like 'Name: value'")
        parsed[name.strip()] = value.strip()
    servers: list[McpServer] = []
    try:
        for command in commands:
            servers.append(McpServer.parse_cli(command))
        for url in urls:
            prefix, sep, rest = url.partition("=")
            if sep and not prefix.startswith(("http:", "https:")) and "/" not in prefix:
                servers.append(McpServer.http(rest, headers=parsed, prefix=prefix))
            else:
                servers.append(McpServer.http(url, headers=parsed))
    except ValueError as error:
        raise CliError(f"bad MCP server: {error}") from None
    return servers


class CombinedTools:
    """The ``ToolExecutorPort`` over several executors (names must not clash)."""

    def __init__(self, *executors: ToolExecutorPort) -> None:
        self._executors = executors
        self._owner: dict[str, ToolExecutorPort] = {}
        self._definitions: list[ToolDefinition] = []
        for executor in executors:
            for definition in executor.list_tools():
                if definition.name in self._owner:
                    raise McpStartError(
                        f"two tools are named {definition.name!r}; "
                        "give the MCP server a prefix (--mcp PREFIX=command)"
                    )
                self._owner[definition.name] = executor
                self._definitions.append(definition)

    def list_tools(self) -> Sequence[ToolDefinition]:
        return self._definitions

    async def execute(self, call: ToolCall) -> ToolMessage:
        owner = self._owner.get(call.name)
        if owner is None:
            available = ", ".join(sorted(self._owner)) or "none"
            return error_result(call, f"unknown tool {call.name!r}; available: {available}")
        return await owner.execute(call)


async def _load(port: LlmCompletionPort, renderer: Renderer) -> None:
    load: Any = getattr(port, "load", None)
    if load is not None:
        with renderer.status("loading the model…"):
            await load()


async def exchange(
    *,
    port: LlmCompletionPort,
    model: str,
    messages: Sequence[AgentMessage],
    tools: Sequence[Tool],
    system: str | None,
    max_turns: int,
    renderer: Renderer,
    store: RunStore | None,
    kind: str,
    conversation: str | None = None,
    prompt: str = "",
    options: CallOptions | None = None,
    mcp: Sequence[McpServer] = (),
) -> Exchange:
    """Run the agent over ``messages``, stream it, and log it; re-raises failures after logging."""
    started = time.monotonic()
    run_id = (
        store.start(
            model=model,
            prompt=prompt,
            kind=kind,
            conversation=conversation,
            system=system,
            options=options.to_dict() if options is not None else None,
            tools=[t.name for t in tools],
        )
        if store is not None
        else None
    )
    state = Exchange(transcript=list(messages))

    def record(status: str, error: str | None = None) -> None:
        if store is not None and run_id is not None:
            store.finish(
                run_id,
                status=status,
                transcript=state.partial_transcript(),
                usage=state.usage if state.usage_known else None,
                turns=state.turns,
                finish_reason=state.finish_reason,
                error=error,
            )

    try:
        await _load(port, renderer)
        async with contextlib.AsyncExitStack() as stack:
            executor: ToolExecutorPort = ToolRegistry(tools)
            if mcp:
                executor = CombinedTools(executor, await stack.enter_async_context(_mcp(mcp)))
            agent = Agent(port, tools=executor, system=system, max_turns=max_turns, options=options)
            renderer.waiting()
            async with agent.stream(list(messages)) as events:
                async for event in events:
                    renderer.event(event)
                    state.on_event(event)
    except asyncio.CancelledError:
        renderer.close()
        record("interrupted")
        raise
    except AgentError as error:
        renderer.close()
        state.transcript = list(error.transcript) or state.transcript
        state.usage = error.usage
        state.turns = error.turns
        cause = error.__cause__
        message = str(cause) if isinstance(cause, LlmError) else error.message
        record("error", message)
        raise CliError(message, code=1) from error
    except LlmError as error:
        renderer.close()
        record("error", str(error))
        raise CliError(str(error), code=1) from error
    except McpStartError as error:
        renderer.close()
        record("error", error.message)
        raise CliError(error.message, code=2) from error
    except BaseException as error:
        renderer.close()
        record("error", f"{type(error).__name__}: {error}")
        raise
    renderer.close()
    answer = state.result.text if state.result is not None else ""
    if not answer.strip():
        # Said and logged as it is: an empty answer is not a success to hide.
        sys.stderr.write("llmport: warning: the model returned an empty answer\n")
        record("empty")
    else:
        record("ok")
    suffix = f" · run {run_id}" if run_id is not None else ""
    usage = state.usage if state.usage_known else None
    renderer.summary(usage_text(usage, state.turns, time.monotonic() - started) + suffix)
    return state
