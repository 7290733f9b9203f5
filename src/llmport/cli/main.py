"""``llmport``: run an agent, chat with one, and read the run log (the composition root).

    llmport run "PROMPT" [--model local] [--tool calculator] [--tools FILE.py] [--json]
    llmport run "PROMPT" --mcp "python my_server.py" [--mcp-url URL --mcp-header "K: V"]
    llmport run -c "PROMPT" | llmport run --cid ID "PROMPT"
    llmport chat [-c | --cid ID]
    llmport logs [show ID]
    llmport models [pull [NAME]]
    llmport batch PROMPTS.jsonl --model M --out DIR [--ray ADDRESS]

This is the only place that picks an adapter from user input (``--model`` is any ``connect()``
string; the default is the embedded local model). Exit codes: 0 done, 1 the run failed (the
model or the agent), 2 a command-line or configuration problem (unknown model prefix, missing
API key, unknown tool), 130 interrupted by Ctrl-C (the partial run is logged).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any, Final

from llmport.cli import batch, models
from llmport.cli.builtin_tools import BUILTIN_TOOLS
from llmport.cli.render import Renderer, WholeAnswerRenderer, make_renderer
from llmport.cli.session import (
    CliError,
    build_port,
    exchange,
    load_tools,
    mcp_servers,
    new_runner,
    parse_options,
)
from llmport.cli.store import RunStore

__all__ = ["build_parser", "main"]

EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _agent_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m",
        "--model",
        default=None,
        help="a connect() string: local (default, no key), local:PATH.gguf, openai:gpt-4o ... "
        "(llmport models lists them)",
    )
    parser.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_true",
        help="continue the latest conversation (a run or a chat), with its model, options, "
        "tools and system prompt unless given here",
    )
    parser.add_argument("--cid", help="continue the conversation with this id (or id prefix)")
    parser.add_argument("-s", "--system", help="system prompt")
    parser.add_argument(
        "-o",
        "--option",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a model option: temperature, max_tokens, top_p, stop, seed, tool_choice, "
        "reasoning ... (VALUE is JSON when it parses, else text; repeat for several)",
    )
    parser.add_argument("--base-url", help="the server's URL (e.g. http://127.0.0.1:8080/v1)")
    parser.add_argument(
        "--key",
        help="the API key (never logged; by default the provider's environment variable, "
        "e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY)",
    )
    parser.add_argument("--max-turns", type=_at_least_one, default=10, help="model turns per run")
    parser.add_argument(
        "--tool",
        action="append",
        default=[],
        metavar="NAME",
        help="enable a built-in tool: calculator, clock, read_file (repeatable)",
    )
    parser.add_argument(
        "--tools", action="append", default=[], metavar="FILE.py", help="load @tool functions"
    )
    parser.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar="[PREFIX=]COMMAND",
        help="tools from an MCP server started over stdio, e.g. --mcp 'python my_server.py' "
        "(repeatable; PREFIX= puts PREFIX_ before its tool names)",
    )
    parser.add_argument(
        "--mcp-url",
        action="append",
        default=[],
        metavar="[PREFIX=]URL",
        help="tools from an MCP server over streamable HTTP (repeatable)",
    )
    parser.add_argument(
        "--mcp-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header sent to every --mcp-url server, e.g. 'Authorization: Bearer ...' "
        "(credentials are never logged)",
    )
    parser.add_argument("--no-log", action="store_true", help="do not record the run")
    parser.add_argument(
        "--no-stream", action="store_true", help="print each answer whole, once it is complete"
    )


def environment_help() -> str:
    """The variables each ``--model`` prefix reads, from the registry (never their values)."""
    from llmport import registry

    lines = ["environment (a flag given on the command line wins):"]
    for entry in registry.entries():
        reads = [*entry.key_env, *entry.base_url_env]
        if reads:
            lines.append(f"  {entry.prefix + ':':<18} {', '.join(reads)}")
    lines.append("  LLMPORT_MODELS     where local model files live")
    lines.append("  NO_COLOR           plain output without escape codes")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    epilog = environment_help()
    parser = argparse.ArgumentParser(
        prog="llmport",
        description="Run an agent over any streaming LLM.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    parser.add_argument("--version", action="version", version=f"llmport {_version()}")
    run = commands.add_parser(
        "run",
        help="run the agent on one prompt and stream the answer",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "prompt",
        nargs="?",
        help="the prompt; piped standard input comes first, then this ('-': stdin only)",
    )
    _agent_options(run)
    run.add_argument("--json", action="store_true", help="print agent events as NDJSON")

    chat = commands.add_parser(
        "chat",
        help="an interactive conversation (/help for commands)",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _agent_options(chat)

    logs = commands.add_parser("logs", help="list recent runs or conversations, or show a run")
    logs.add_argument("action", nargs="?", choices=["show"], help="show one run")
    logs.add_argument("id", nargs="?", type=int, help="the run id (with show)")
    logs.add_argument("-n", "--limit", type=int, default=20, help="how many to list")
    logs.add_argument("--cid", help="only this conversation (an id or its prefix)")
    logs.add_argument("-q", "--search", help="only runs whose prompt or messages hold TEXT")
    logs.add_argument(
        "--conversations", action="store_true", help="list conversations instead of runs"
    )
    logs.add_argument("--json", action="store_true", help="print as JSON")
    models.add_parser(commands)
    batch.add_parser(commands, _at_least_one)
    return parser


# --- commands ----------------------------------------------------------------------------------


def _version() -> str:
    from llmport import __version__

    return __version__


def _prompt(args: argparse.Namespace) -> str:
    """The prompt: piped standard input first, then the argument (as ``llm`` joins them)."""
    if args.prompt == "-":
        return sys.stdin.read()
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    parts = [part for part in (piped.strip("\n"), args.prompt) if part]
    if not parts:
        raise CliError("give a prompt, or pipe one in: echo 'text' | llmport run 'summarize'")
    return "\n\n".join(parts)


def _resume(args: argparse.Namespace) -> tuple[str | None, list[Any]]:
    """``-c`` / ``--cid``: the conversation to continue and its history; what it used (model,
    options, tools, system prompt) fills in whatever the command line leaves out."""
    if not (args.resume or args.cid):
        args.model = args.model or "local"
        return None, []
    store = RunStore.existing()
    found = None
    if store is not None:
        found = store.conversation(args.cid) if args.cid else store.latest_conversation()
    if found is None:
        wanted = f"no conversation {args.cid!r}" if args.cid else "no conversation to continue"
        raise CliError(f"{wanted} (llmport logs --conversations lists them)")
    assert store is not None
    args.model = args.model or found.model
    if args.system is None:
        args.system = found.system
    if not args.option and found.options:
        args.option = [[k, json.dumps(v)] for k, v in found.options.items()]
    if not args.tool and not args.tools:
        args.tool = [name for name in found.tools if name in BUILTIN_TOOLS]
        others = [name for name in found.tools if name not in BUILTIN_TOOLS]
        if others and not args.mcp and not args.mcp_url:
            # Never re-run code named in the log (a tools file, a server command) unasked.
            sys.stderr.write(
                f"llmport: note: not restored: {', '.join(others)} (tools from a --tools file "
                "or an MCP server: pass --tools FILE.py or --mcp again)\n"
            )
    return found.id, store.history(found.id)


def _store(no_log: bool) -> RunStore | None:
    return None if no_log else RunStore()


def _run(args: argparse.Namespace, renderer: Renderer) -> int:
    from llmport.domain.messages import UserMessage

    prompt = _prompt(args)
    conversation, history = _resume(args)
    tools = load_tools(args.tool, args.tools)
    servers = mcp_servers(args.mcp, args.mcp_url, args.mcp_header)
    options = parse_options(args.option)
    port = build_port(args.model, base_url=args.base_url, key=args.key)
    store = _store(args.no_log)
    with new_runner() as runner:
        try:
            runner.run(
                exchange(
                    port=port,
                    model=args.model,
                    messages=[*history, UserMessage(prompt)],
                    tools=tools,
                    system=args.system,
                    max_turns=args.max_turns,
                    renderer=renderer,
                    store=store,
                    kind="run",
                    conversation=conversation,
                    prompt=prompt,
                    options=options,
                    mcp=servers,
                )
            )
        except CliError as error:
            renderer.error(error.message)
            return error.code
    return 0


def _chat(args: argparse.Namespace, renderer: Renderer) -> int:
    from llmport.domain.messages import UserMessage

    conversation, history = _resume(args)
    tools = load_tools(args.tool, args.tools)
    servers = mcp_servers(args.mcp, args.mcp_url, args.mcp_header)
    options = parse_options(args.option)
    port = build_port(args.model, base_url=args.base_url, key=args.key)
    store = _store(args.no_log)
    if conversation is not None:
        renderer.notice(f"continuing conversation {conversation[:8]} ({len(history)} messages)")
    renderer.notice("/help lists the commands; Ctrl-D or /exit leaves")
    editing = _line_editing()
    with new_runner() as runner:
        while True:
            try:
                line = input("> ")
            except EOFError:
                print()
                return 0
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command, _, rest = text.partition(" ")
                if command in {"/exit", "/quit"}:
                    return 0
                if command == "/reset":
                    history, conversation = [], None
                    renderer.notice("conversation reset")
                elif command == "/help":
                    renderer.notice(CHAT_HELP)
                elif command == "/system":
                    args.system = rest.strip() or None
                    renderer.notice(f"system prompt {'set' if args.system else 'cleared'}")
                elif command == "/model" and rest.strip():
                    try:
                        port = build_port(rest.strip(), base_url=args.base_url, key=args.key)
                    except CliError as error:
                        renderer.error(error.message)
                        continue
                    args.model = rest.strip()
                    renderer.notice(f"model: {args.model}")
                elif command == "/tools":
                    names = ", ".join(t.name for t in tools) or "none"
                    renderer.notice(f"tools: {names}")
                else:
                    renderer.error(f"unknown command {command!r}; /help lists them")
                continue
            if conversation is None:
                import uuid

                conversation = uuid.uuid4().hex
            try:
                state = runner.run(
                    exchange(
                        port=port,
                        model=args.model,
                        messages=[*history, UserMessage(text)],
                        tools=tools,
                        system=args.system,
                        max_turns=args.max_turns,
                        renderer=renderer,
                        store=store,
                        kind="chat",
                        conversation=conversation,
                        prompt=text,
                        options=options,
                        mcp=servers,
                    )
                )
            except KeyboardInterrupt:
                sys.stdout.write("\n")  # "(interrupted)" on a line of its own
                renderer.notice("(interrupted)")
                if store is not None:  # the partial exchange stays in the conversation
                    history = store.history(conversation)
                continue
            except CliError as error:
                renderer.error(error.message)
                continue
            finally:
                editing.save()
            history = state.transcript


CHAT_HELP: Final = (
    "/help this list · /exit leave (or Ctrl-D) · /reset start a new conversation · "
    "/system TEXT set the system prompt (none: clear it) · /model NAME switch model · "
    "/tools list the tools · Ctrl-C stops an answer"
)


class _LineEditing:
    """readline's line editing and a history file in the data directory, where available."""

    def __init__(self) -> None:
        self.readline: Any = None
        try:
            import readline
        except ImportError:  # pragma: no cover - Windows without pyreadline
            return
        from llmport.cli.store import data_dir

        self.readline = readline
        self.path = data_dir() / "chat_history"
        with contextlib.suppress(OSError):
            readline.read_history_file(self.path)
        readline.set_history_length(1000)

    def save(self) -> None:
        if self.readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(self.path)
        except OSError:
            pass


def _line_editing() -> _LineEditing:
    return _LineEditing()


def _logs(args: argparse.Namespace, renderer: Renderer) -> int:
    from llmport.cli.logs import (
        conversation_to_dict,
        print_conversations,
        print_record,
        print_runs,
        record_to_dict,
    )

    store = RunStore.existing()  # reading never creates the log
    if args.action == "show":
        if args.id is None:
            raise CliError("logs show needs a run id")
        record = store.get(args.id) if store is not None else None
        if record is None:
            raise CliError(f"no run {args.id}", code=EXIT_FAILED)
        if args.json:
            print(json.dumps(record_to_dict(record), ensure_ascii=False, indent=2))
        else:
            print_record(record, sys.stdout)
        return 0
    if args.limit < 0:
        raise CliError("--limit must be 0 or more")
    if args.conversations:
        found = (
            []
            if store is None
            else store.conversations(limit=args.limit, cid=args.cid, search=args.search)
        )
        if args.json:
            for item in found:
                print(json.dumps(conversation_to_dict(item), ensure_ascii=False))
        elif args.limit:
            print_conversations(found, sys.stdout, empty=store is None)
        return 0
    records = [] if store is None else store.recent(args.limit, cid=args.cid, search=args.search)
    if args.json:
        for record in records:
            print(json.dumps(record_to_dict(record), ensure_ascii=False))
    elif args.limit:
        print_runs(records, sys.stdout, empty=store is None)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``llmport`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    # One renderer for the whole command, so an interrupt or an error closes the one in use.
    renderer = make_renderer(json_output=bool(getattr(args, "json", False)))
    if getattr(args, "no_stream", False):
        renderer = WholeAnswerRenderer(renderer)
    try:
        if args.command == "run":
            return _run(args, renderer)
        if args.command == "chat":
            return _chat(args, renderer)
        if args.command == "models":
            return models.run(args)
        if args.command == "batch":
            return batch.run(args)
        return _logs(args, renderer)
    except CliError as error:
        renderer.error(error.message)
        return error.code
    except KeyboardInterrupt:
        renderer.close()
        sys.stderr.write("\nllmport: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `llmport run ... | head -1`
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
