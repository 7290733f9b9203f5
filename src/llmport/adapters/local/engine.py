"""One model turn, generated token by token in the worker thread.

``run_turn`` emits the raw events of one turn (deltas, then ``Finish``, ``Usage`` and ``END``)
through ``emit`` and checks the stop flag between tokens. Three paths:

**answer**: free generation until the end-of-turn token or the token budget.

**tool call**: 1. the name, generated under ``name_grammar`` (only an offered tool can come
out); 2. the arguments, generated after the prefix ``{"tool": NAME, "arguments": `` under the
grammar compiled from that tool's JSON Schema, streamed as ``ToolCallDelta`` fragments. The
arguments therefore always parse and match the schema; only the token budget can cut them
(``LENGTH``, and the guard marks the call incomplete).

**automatic choice** decides first: the prompt is evaluated once and the probability mass of
the first tokens that open a JSON object (the call format) is compared with the rest, shifted
by ``tool_bias``. A call continues as above; an answer starts with the most likely token that
does not open a call, then generates freely. (llama-cpp-python's own function-calling handler
refuses automatic choice when streaming; this is our replacement.) The decision reuses the
evaluated prompt through llama.cpp's prefix cache, so it costs no second prompt evaluation.
"""

from __future__ import annotations

import codecs
import math
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal, TypeAlias

from llmport.adapters.local.constrained import GrammarSampler, pick
from llmport.adapters.local.grammar import arguments_grammar, name_grammar
from llmport.adapters.local.model import LoadedModel
from llmport.adapters.local.template import TOOL_CALL_PREFIX, arguments_prefix, json_name
from llmport.core.raw import END, Finish, RawEvent
from llmport.domain.errors import ServerError
from llmport.domain.events import FinishReason, TextDelta, ToolCallDelta, Usage
from llmport.domain.tools import ToolDefinition

__all__ = ["Sampling", "ToolChoice", "TurnPlan", "run_turn"]

ToolChoice: TypeAlias = Literal["auto", "required", "none"] | str

_LOCK_POLL: Final = 0.05  # seconds between stop checks while another turn holds the model


@dataclass(frozen=True, slots=True)
class Sampling:
    """Generation settings. ``temperature`` 0 is greedy (deterministic)."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_k: int = 40
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """What to generate: the prompt's tokens, the offered tools and how to choose among them."""

    prompt: tuple[int, ...]
    tools: tuple[ToolDefinition, ...]
    choice: ToolChoice
    tool_bias: float


class _Stop(Enum):
    END = "end"
    LENGTH = "length"
    CONTEXT = "context"
    STOPPED = "stopped"


_FINISH = {
    _Stop.END: Finish(FinishReason.STOP, "stop"),
    _Stop.LENGTH: Finish(FinishReason.LENGTH, "length"),
    _Stop.CONTEXT: Finish(FinishReason.CONTEXT_WINDOW, "context_window"),
}

Emit: TypeAlias = Callable[[RawEvent], None]


def _numpy() -> Any:
    import numpy

    return numpy


class _Turn:
    """The state of one turn in the worker thread (holding the model's lock)."""

    def __init__(
        self,
        model: LoadedModel,
        plan: TurnPlan,
        sampling: Sampling,
        emit: Emit,
        stop: threading.Event,
    ) -> None:
        self.model = model
        self.llama = model.llama
        self.plan = plan
        self.sampling = sampling
        self.emit = emit
        self.stop = stop
        self.output_tokens = 0

    # --- primitives ----------------------------------------------------------------------------

    def generate(
        self,
        tokens: Sequence[int],
        *,
        grammar: str | None,
        budget: int,
        on_bytes: Callable[[bytes], None],
    ) -> _Stop:
        """Sample until the end of the turn, the budget, the context's end or a stop request."""
        if budget <= 0:
            return _Stop.LENGTH
        if grammar is not None:
            return self.constrained(tokens, grammar, budget, on_bytes)
        s = self.sampling
        if s.seed is not None:
            self.llama.set_seed(s.seed)
        tokens_left = budget
        stream = self.llama.generate(
            list(tokens),
            temp=s.temperature,
            top_k=s.top_k,
            top_p=s.top_p,
            repeat_penalty=s.repeat_penalty,
        )
        try:
            for token in stream:
                if self.stop.is_set():
                    return _Stop.STOPPED
                if self.model.is_end(token):
                    return _Stop.END
                self.output_tokens += 1
                on_bytes(self.model.piece(token))
                tokens_left -= 1
                if tokens_left <= 0:
                    return _Stop.LENGTH
                if self.llama.n_tokens + 2 >= self.model.n_ctx:
                    return _Stop.CONTEXT
            return _Stop.END
        finally:
            stream.close()

    def constrained(
        self,
        tokens: Sequence[int],
        grammar: str,
        budget: int,
        on_bytes: Callable[[bytes], None],
    ) -> _Stop:
        """Generation under a grammar, sampled here (see ``constrained``) token by token."""
        np = _numpy()
        rng = np.random.default_rng(self.sampling.seed)
        logits = self.prefill(tokens)
        with GrammarSampler(self.model.vocab, grammar) as sampler:
            for _ in range(budget):
                if self.stop.is_set():
                    return _Stop.STOPPED
                token = pick(logits, sampler, temperature=self.sampling.temperature, rng=rng)
                if self.model.is_end(token):
                    return _Stop.END
                sampler.accept(token)
                self.output_tokens += 1
                on_bytes(self.model.piece(token))
                if self.llama.n_tokens + 2 >= self.model.n_ctx:
                    return _Stop.CONTEXT
                self.llama.eval([token])
                logits = self.logits()
        return _Stop.LENGTH

    def logits(self) -> Any:
        np = _numpy()
        raw = self.llama._ctx.get_logits()
        return np.ctypeslib.as_array(raw, shape=(self.model.n_vocab,)).copy()

    def prefill(self, tokens: Sequence[int]) -> Any:
        """Evaluate ``tokens`` (reusing the cached prefix) and return the next-token logits."""
        llama = self.llama
        tokens = list(tokens)
        cached = llama.longest_token_prefix(llama.input_ids[: llama.n_tokens].tolist(), tokens)
        cached = min(cached, len(tokens) - 1)  # re-evaluate at least the last token
        llama.n_tokens = cached
        llama.eval(tokens[cached:])
        return self.logits()

    def finish(self, stop: _Stop, *, tool_call: bool = False) -> None:
        if stop is _Stop.STOPPED:
            return
        finish = _FINISH[stop]
        if tool_call and stop is _Stop.END:
            finish = Finish(FinishReason.TOOL_CALLS, "tool_calls")
        self.emit(finish)
        self.emit(Usage(input_tokens=len(self.plan.prompt), output_tokens=self.output_tokens))
        self.emit(END)

    # --- paths ---------------------------------------------------------------------------------

    def answer(self, first: int | None = None) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def on_bytes(data: bytes) -> None:
            text = decoder.decode(data)
            if text:
                self.emit(TextDelta(text))

        budget = self.sampling.max_tokens
        tokens = list(self.plan.prompt)
        if first is not None and self.model.is_end(first):
            self.finish(_Stop.END)  # the model's answer is to say nothing
            return
        if first is not None:
            self.output_tokens += 1
            on_bytes(self.model.piece(first))
            tokens.append(first)
            budget -= 1
        stop = self.generate(tokens, grammar=None, budget=budget, on_bytes=on_bytes)
        if stop is not _Stop.STOPPED:
            tail = decoder.decode(b"", final=True)
            if tail:
                self.emit(TextDelta(tail))
        self.finish(stop)

    def call(self, tools: Sequence[ToolDefinition]) -> None:
        name = tools[0].name if len(tools) == 1 else self.choose_name(tools)
        if name is None:
            return
        tool = next(t for t in tools if t.name == name)
        self.emit(ToolCallDelta(0, f"call_{uuid.uuid4().hex[:24]}", name, ""))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

        def on_bytes(data: bytes) -> None:
            text = decoder.decode(data)
            if text:
                self.emit(ToolCallDelta(0, arguments=text))

        prefix = self.model.tokenize(arguments_prefix(name), control=False)
        stop = self.generate(
            [*self.plan.prompt, *prefix],
            grammar=arguments_grammar(tool.parameters),
            budget=self.sampling.max_tokens - self.output_tokens,
            on_bytes=on_bytes,
        )
        self.finish(stop, tool_call=True)

    def choose_name(self, tools: Sequence[ToolDefinition]) -> str | None:
        """Generate ``{"tool": "NAME"`` under the grammar; ``None`` when the turn ended."""
        out = bytearray()
        stop = self.generate(
            self.plan.prompt,
            grammar=name_grammar([t.name for t in tools]),
            budget=self.sampling.max_tokens,
            on_bytes=out.extend,
        )
        text = out.decode("utf-8", errors="replace")
        chosen = text[len(TOOL_CALL_PREFIX) : -1] if text.endswith('"') else None
        for tool in tools:
            if stop is _Stop.END and json_name(tool.name) == chosen:
                return tool.name
        self.finish(stop if stop is not _Stop.END else _Stop.LENGTH)
        return None

    def decide(self) -> int | None:
        """Automatic choice: ``None`` to call a tool, else the first token of the answer."""
        np = _numpy()
        logits = self.prefill(self.plan.prompt)
        opens_call = self.model.call_openers
        top = float(logits.max())
        probs = np.exp(logits - top)
        call_mass = float(probs[opens_call].sum())
        answer_mass = float(probs.sum()) - call_mass
        if call_mass > 0 and (
            answer_mass <= 0
            or math.log(call_mass) - math.log(answer_mass) + self.plan.tool_bias > 0
        ):
            return None
        logits[opens_call] = -np.inf
        s = self.sampling
        if s.temperature <= 0:
            return int(logits.argmax())
        rng = np.random.default_rng(s.seed)
        weights = np.exp((logits - logits.max()) / s.temperature)
        return int(rng.choice(len(weights), p=weights / weights.sum()))

    def run(self) -> None:
        plan = self.plan
        tools = plan.tools
        match plan.choice:
            case "none":
                self.answer()
            case _ if not tools:
                self.answer()
            case "required":
                self.call(tools)
            case "auto":
                first = self.decide()
                if first is None:
                    self.call(tools)
                else:
                    self.answer(first)
            case name:
                self.call([t for t in tools if t.name == name])


def run_turn(
    model: LoadedModel,
    plan: TurnPlan,
    sampling: Sampling,
    emit: Emit,
    stop: threading.Event,
) -> None:
    """Generate one turn (in the worker thread), holding the model's lock throughout.

    A failure inside llama.cpp (it raises ``RuntimeError`` when a decode fails) is the model
    runtime failing, reported as a non-retryable ``ServerError``.
    """
    # Wait for another turn to finish, but give up at once if this one is closed meanwhile:
    # a blocking acquire would keep the thread (and ``aclose``) waiting for the other turn.
    while not model.lock.acquire(timeout=_LOCK_POLL):
        if stop.is_set():
            return
    try:
        if stop.is_set():
            return
        _Turn(model, plan, sampling, emit, stop).run()
    except RuntimeError as error:
        raise ServerError(
            f"llama.cpp failed during generation: {error}", provider="local", retryable=False
        ) from error
    finally:
        model.lock.release()
