"""``llmport``: run an agent, chat with one, and read the run log (the composition root).

    llmport run "PROMPT" [--model local] [--tool calculator] [--tools FILE.py] [--json]
    llmport chat [--continue]
    llmport logs [show ID]
    llmport models [pull [NAME]]

This is the only place that picks an adapter from user input (``--model`` is any ``connect()``
string; the default is the embedded local model). Exit codes: 0 done, 1 the run failed (the
model or the agent), 2 a command-line or configuration problem (unknown model prefix, missing
API key, unknown tool), 130 interrupted by Ctrl-C (the partial run is logged).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final

from llmport.cli import models
from llmport.cli.render import Renderer, make_renderer
from llmport.cli.session import (
    CliError,
    build_port,
    exchange,
    load_tools,
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
        default="local",
        help="a connect() string: local (default, no key), local:PATH.gguf, openai:gpt-4o ... "
        "(llmport models lists them)",
    )
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
    parser.add_argument("--no-log", action="store_true", help="do not record the run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmport", description="Run an agent over any streaming LLM."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    parser.add_argument("--version", action="version", version=f"llmport {_version()}")
    run = commands.add_parser("run", help="run the agent on one prompt and stream the answer")
    run.add_argument(
        "prompt",
        nargs="?",
        help="the prompt; piped standard input comes first, then this ('-': stdin only)",
    )
    _agent_options(run)
    run.add_argument("--json", action="store_true", help="print agent events as NDJSON")

    chat = commands.add_parser("chat", help="an interactive conversation (/exit, /reset)")
    _agent_options(chat)
    chat.add_argument(
        "--continue", dest="resume", action="store_true", help="resume the last conversation"
    )

    logs = commands.add_parser("logs", help="list recent runs, or show one")
    logs.add_argument("action", nargs="?", choices=["show"], help="show one run")
    logs.add_argument("id", nargs="?", type=int, help="the run id (with show)")
    logs.add_argument("--limit", type=int, default=20, help="how many runs to list")
    logs.add_argument("--json", action="store_true", help="print as JSON")
    models.add_parser(commands)
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


def _store(no_log: bool) -> RunStore | None:
    return None if no_log else RunStore()


def _run(args: argparse.Namespace, renderer: Renderer) -> int:
    from llmport.domain.messages import UserMessage

    prompt = _prompt(args)
    tools = load_tools(args.tool, args.tools)
    options = parse_options(args.option)
    port = build_port(args.model, base_url=args.base_url, key=args.key)
    store = _store(args.no_log)
    with new_runner() as runner:
        try:
            runner.run(
                exchange(
                    port=port,
                    model=args.model,
                    messages=[UserMessage(prompt)],
                    tools=tools,
                    system=args.system,
                    max_turns=args.max_turns,
                    renderer=renderer,
                    store=store,
                    kind="run",
                    prompt=prompt,
                    options=options,
                )
            )
        except CliError as error:
            renderer.error(error.message)
            return error.code
    return 0


def _chat(args: argparse.Namespace, renderer: Renderer) -> int:
    from llmport.domain.messages import AgentMessage, UserMessage

    tools = load_tools(args.tool, args.tools)
    options = parse_options(args.option)
    port = build_port(args.model, base_url=args.base_url, key=args.key)
    store = _store(args.no_log)
    history: list[AgentMessage] = []
    conversation: str | None = None
    if args.resume:
        last = RunStore().last_conversation()
        if last is None:
            raise CliError("there is no conversation to continue")
        history = last.transcript
        conversation = last.conversation
        renderer.notice(f"continuing the conversation of run {last.id} ({len(history)} messages)")
    renderer.notice("type /exit or Ctrl-D to leave, /reset to start over")
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
            if text in {"/exit", "/quit"}:
                return 0
            if text == "/reset":
                history, conversation = [], None
                renderer.notice("conversation reset")
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
                    )
                )
            except KeyboardInterrupt:
                renderer.notice("(interrupted)")
                continue
            except CliError as error:
                renderer.error(error.message)
                continue
            history = state.transcript


def _logs(args: argparse.Namespace, renderer: Renderer) -> int:
    import json

    from llmport.cli.logs import print_record, print_runs, record_to_dict

    store = RunStore()
    if args.action == "show":
        if args.id is None:
            raise CliError("logs show needs a run id")
        record = store.get(args.id)
        if record is None:
            raise CliError(f"no run {args.id}", code=EXIT_FAILED)
        if args.json:
            print(json.dumps(record_to_dict(record), ensure_ascii=False, indent=2))
        else:
            print_record(record, sys.stdout)
        return 0
    records = store.recent(args.limit)
    if args.json:
        for record in records:
            print(json.dumps(record_to_dict(record), ensure_ascii=False))
    else:
        print_runs(records, sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``llmport`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    # One renderer for the whole command, so an interrupt or an error closes the one in use.
    renderer = make_renderer(json_output=bool(getattr(args, "json", False)))
    try:
        if args.command == "run":
            return _run(args, renderer)
        if args.command == "chat":
            return _chat(args, renderer)
        if args.command == "models":
            return models.run(args)
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
