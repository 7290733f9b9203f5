"""``llmport batch PROMPTS.jsonl --model M --out DIR [--ray ADDRESS]``: many runs, resumable.

Each line of PROMPTS.jsonl is a JSON string (the prompt) or an object with ``prompt`` (text) or
``messages`` (a conversation, as the domain's JSON) and an optional ``id`` (else the line's
position among the prompts, from 0). Results go to ``DIR/results.jsonl`` and one transcript per
run in ``DIR/transcripts/``; running the same command again finishes an interrupted batch
(``--fresh`` starts over). ``--ray ADDRESS`` runs on a Ray cluster (``--ray local`` starts one
in this process); otherwise the runs share this process's event loop.

The agent is described by plain data (``BatchAgent``) and built on the worker, so the API key
is read from the worker's own environment; ``--key`` is not accepted here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmport.agent.loop import Agent, Prompt
from llmport.batch import BatchProgress, Executor, LocalExecutor, run_batch
from llmport.cli.session import CliError, build_port, load_tools, parse_options
from llmport.domain.messages import message_from_dict
from llmport.domain.options import CallOptions

__all__ = ["BatchAgent", "add_parser", "read_prompts", "run"]


@dataclass(frozen=True)
class BatchAgent:
    """The agent factory of a CLI batch: what to build, never a key."""

    model: str
    base_url: str | None = None
    system: str | None = None
    options: CallOptions | None = None
    tool_names: tuple[str, ...] = ()
    tool_files: tuple[str, ...] = ()
    max_turns: int = 10

    def __call__(self, run_id: str) -> Agent:
        port = build_port(self.model, base_url=self.base_url)
        tools = load_tools(self.tool_names, self.tool_files)
        return Agent(
            port,
            tools=tools,
            system=self.system,
            max_turns=self.max_turns,
            options=self.options,
        )


def add_parser(commands: Any, agent_options: Any) -> None:
    batch = commands.add_parser(
        "batch", help="run the agent on every prompt of a JSONL file (resumable)"
    )
    batch.add_argument("prompts", help="PROMPTS.jsonl: one prompt per line")
    batch.add_argument("-m", "--model", required=True, help="a connect() string")
    batch.add_argument("--out", required=True, metavar="DIR", help="where results go")
    batch.add_argument("-s", "--system", help="system prompt")
    batch.add_argument(
        "-o", "--option", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
        help="a model option (as for run)",
    )  # fmt: skip
    batch.add_argument("--base-url", help="the server's URL")
    batch.add_argument("--max-turns", type=agent_options, default=10, help="turns per run")
    batch.add_argument("--tool", action="append", default=[], metavar="NAME")
    batch.add_argument("--tools", action="append", default=[], metavar="FILE.py")
    batch.add_argument(
        "--concurrency", type=agent_options, default=64, help="runs at once (without Ray)"
    )
    batch.add_argument(
        "--ray", metavar="ADDRESS", help="run on this Ray cluster ('local': start one here)"
    )
    batch.add_argument("--actors", type=agent_options, default=2, help="Ray actors")
    batch.add_argument(
        "--per-actor", type=agent_options, default=64, help="runs at once per Ray actor"
    )
    batch.add_argument("--fresh", action="store_true", help="start over (ignore DIR's results)")


def read_prompts(path: Path) -> tuple[list[Prompt], list[str]]:
    """The prompts and ids of a PROMPTS.jsonl file (``CliError`` naming the bad line)."""
    if not path.is_file():
        raise CliError(f"no prompts file at {path}")
    prompts: list[Prompt] = []
    ids: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                prompt, run_id = _prompt_of(json.loads(line))
            except ValueError as error:
                raise CliError(f"{path}:{number}: {error}") from None
            prompts.append(prompt)
            ids.append(run_id if run_id is not None else str(len(ids)))
    if not prompts:
        raise CliError(f"{path} holds no prompts")
    return prompts, ids


def _prompt_of(data: Any) -> tuple[Prompt, str | None]:
    if isinstance(data, str):
        return data, None
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON string or an object with prompt or messages")
    run_id = data.get("id")
    if run_id is not None and not isinstance(run_id, str | int):
        raise ValueError("id must be a string or a number")
    run_id = None if run_id is None else str(run_id)
    if isinstance(data.get("prompt"), str):
        return data["prompt"], run_id
    messages = data.get("messages")
    if isinstance(messages, list) and messages:
        return [message_from_dict(m) for m in messages], run_id
    raise ValueError("an object line needs a prompt (text) or messages (a non-empty list)")


def _executor(args: argparse.Namespace) -> Executor:
    if args.ray is None:
        return LocalExecutor(concurrency=args.concurrency)
    try:
        from llmport.ray import RayExecutor
    except ImportError as error:  # pragma: no cover - the extra is part of dev
        raise CliError(str(error)) from None
    address = None if args.ray == "local" else args.ray
    return RayExecutor(actors=args.actors, per_actor_concurrency=args.per_actor, address=address)


async def _drive(
    factory: BatchAgent,
    prompts: list[Prompt],
    ids: list[str],
    args: argparse.Namespace,
    meter: BatchProgress,
) -> None:
    async for _ in run_batch(
        factory,
        prompts,
        ids=ids,
        out_dir=args.out,
        executor=_executor(args),
        resume=not args.fresh,
        progress=meter,
    ):
        pass


def run(args: argparse.Namespace) -> int:
    """The ``batch`` command: 0 when every run answered, 1 when any failed."""
    prompts, ids = read_prompts(Path(args.prompts))
    factory = BatchAgent(
        model=args.model,
        base_url=args.base_url,
        system=args.system,
        options=parse_options(args.option),
        tool_names=tuple(args.tool),
        tool_files=tuple(str(Path(f).resolve()) for f in args.tools),
        max_turns=args.max_turns,
    )
    factory("check")  # the model string, the key and the tools fail here, before any run
    meter = BatchProgress(len(prompts), stream=sys.stderr)
    try:
        asyncio.run(_drive(factory, prompts, ids, args, meter))
    except ValueError as error:  # a bad or repeated id
        raise CliError(str(error)) from None
    out = Path(args.out) / "results.jsonl"
    sys.stdout.write(
        f"{meter.done} run{'s' if meter.done != 1 else ''} done, {meter.failed} failed"
        f"{f', {meter.skipped} already done' if meter.skipped else ''}; results in {out}\n"
    )
    return 1 if meter.failed else 0
