"""One model turn, as constrained requests to llama.cpp's engine, in the worker thread.

``run_turn`` emits the raw events of one turn (deltas, then ``Finish``, ``Usage`` and ``END``)
through ``emit``; the stream callback stops llama.cpp within a token once the turn is closed.
Every step is one request to ``xllamacpp``'s chat-completions API (the model's own chat
template, prompt caching between the steps of a turn):

**answer**: the conversation as it is (``TurnPlan.answer_messages``: no tool list and no example
exchanges, so nothing of them can leak into an answer to the user), streamed until the end of
turn or the token budget; a ``response_format`` becomes a grammar, so structured output always
parses. The answer that follows a tool's result is the exception: it is generated from the
conversation with the tools (the model reads its own call and the result in the format it was
taught), under a grammar that keeps it from opening another call.

**tool call**: the conversation with the tool list and the call format
(``TurnPlan.call_messages``), generated under a grammar compiled from a JSON Schema that admits
exactly ``{"tool": NAME, "arguments": ARGS}`` for an offered tool NAME and ARGS valid for that
tool's schema. The call therefore always parses and matches its schema; only the token budget
can cut it (``LENGTH``, and the guard marks the call incomplete). Its name and argument text are
streamed as ``ToolCallDelta`` fragments.

**automatic choice** decides first: one 1-token request over ``call_messages`` (which also
carry short example exchanges, see ``template``) returns the first token's top log-probabilities;
the mass of the tokens that open a JSON object (the call format) is compared with the rest,
shifted by ``tool_bias``. Then a call, or an answer from the clean conversation.
"""

from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from llmport.adapters.local.model import LoadedModel
from llmport.adapters.local.template import arguments_prefix, compact_schema
from llmport.core.raw import END, Finish, RawEvent
from llmport.domain.errors import ContextLengthExceededError, ServerError
from llmport.domain.events import FinishReason, TextDelta, ToolCallDelta, Usage
from llmport.domain.tools import ToolDefinition

__all__ = ["Sampling", "ToolChoice", "TurnPlan", "call_schema", "run_turn"]

ToolChoice: TypeAlias = Literal["auto", "required", "none"] | str
Emit: TypeAlias = Callable[[RawEvent], None]

_LOCK_POLL: Final = 0.05  # seconds between stop checks while another turn holds the model
_TOP_LOGPROBS: Final = 20
_CALL_HEAD: Final = re.compile(r'\s*\{\s*"tool"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"arguments"\s*:\s*')
_HELD: Final = " \t\r\n}"  # what may be the end of the call object: held back until the end
NO_CALL_GRAMMAR: Final = "root ::= [^{] [^\\x00]*"
"""Any text that does not open a JSON object: an answer in words where a call was expected."""


@dataclass(frozen=True, slots=True)
class Sampling:
    """Generation settings. ``temperature`` 0 is greedy (deterministic)."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_k: int = 40
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    seed: int | None = None
    stop: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "repeat_penalty": self.repeat_penalty,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        if self.stop:
            out["stop"] = list(self.stop)
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """What to generate: the two forms of the conversation, the tools and how to choose."""

    answer_messages: tuple[Mapping[str, str], ...]
    call_messages: tuple[Mapping[str, str], ...]
    tools: tuple[ToolDefinition, ...]
    choice: ToolChoice
    tool_bias: float
    response_format: Mapping[str, Any] | None = None
    answer_opens_no_call: bool = False


_STRICT_STRING: Final = r"^[^{}\x00-\x1f]*$"


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` made strict for a small model: free-form strings may not hold braces or
    control characters (so a model that wants to close the object must close the string first,
    instead of writing ``}}`` inside it), and objects take no properties they do not declare
    (the agent's validation would refuse them)."""
    out = compact_schema(schema)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) if k != "properties" else {p: walk(s) for p, s in v.items()}
                for k, v in node.items()}  # fmt: skip
        kind = node.get("type")
        if kind == "string" and not {"pattern", "enum", "const", "format"} & node.keys():
            node["pattern"] = _STRICT_STRING
        if kind == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        return node

    result: dict[str, Any] = walk(out)
    return result


def call_schema(tools: Sequence[ToolDefinition]) -> dict[str, Any]:
    """The JSON Schema of one call of one of ``tools``: ``{"tool": NAME, "arguments": ...}``."""
    variants = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": tool.name},
                "arguments": strict_schema(tool.parameters),
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for tool in tools
    ]
    schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
    # Compact JSON with ", " and ": " between items, as the prompt's own calls are written
    # (llguidance's option; free whitespace let the model drift into indented, rambling JSON).
    return {**schema, "x-guidance": {"whitespace_flexible": False}}


def _grammar(schema: Mapping[str, Any]) -> str:
    import xllamacpp

    grammar: str = xllamacpp.json_schema_to_grammar(dict(schema))
    return grammar


class _CallStream:
    """Turns the streamed text of ``{"tool": NAME, "arguments": ...}`` into call deltas."""

    def __init__(self, emit: Emit, budget: int) -> None:
        self.emit = emit
        self.budget = budget  # tokens (streamed chunks) for the arguments
        self.head = ""
        self.args = ""
        self.sent = 0
        self.started = False

    def feed(self, text: str) -> bool:
        """Take one streamed chunk; True once the arguments' token budget is spent."""
        if not self.started:
            self.head += text
            match = _CALL_HEAD.match(self.head)
            if match is None:
                return False
            self.started = True
            name = json.loads(match.group(1))
            self.emit(ToolCallDelta(0, f"call_{uuid.uuid4().hex[:24]}", name, ""))
            text = self.head[match.end() :]
        else:
            self.budget -= 1
        self.args += text
        ready = len(self.args.rstrip(_HELD))
        if ready > self.sent:
            self.emit(ToolCallDelta(0, arguments=self.args[self.sent : ready]))
            self.sent = ready
        return self.budget <= 0

    def close(self, complete: bool) -> None:
        if not self.started:
            return
        rest = self.args[self.sent :]
        if complete:
            rest = rest.rstrip()
            rest = rest[:-1] if rest.endswith("}") else rest  # the call object's own brace
        if rest.strip():
            self.emit(ToolCallDelta(0, arguments=rest))


class _Turn:
    """The state of one turn in the worker thread (holding the model's lock)."""

    def __init__(
        self, model: LoadedModel, plan: TurnPlan, sampling: Sampling, emit: Emit,
        stop: threading.Event,
    ) -> None:  # fmt: skip
        self.model = model
        self.plan = plan
        self.sampling = sampling
        self.emit = emit
        self.stop = stop

    # --- one request ---------------------------------------------------------------------------

    def _check(self, reply: Any) -> None:
        if isinstance(reply, Mapping) and isinstance(reply.get("error"), Mapping):
            error = reply["error"]
            message = str(error.get("message", "llama.cpp refused the request"))
            if error.get("type") == "exceed_context_size_error":
                raise ContextLengthExceededError(message, provider="local")
            raise ServerError(f"llama.cpp failed: {message}", provider="local", retryable=False)

    def stream(
        self, messages: Sequence[Mapping[str, str]], on_text: Callable[[str], bool | None],
        grammar: str | None, extra_tokens: int = 0, *, constrained: bool = False,
    ) -> tuple[str | None, Any]:  # fmt: skip
        """One streamed request: ``(finish_reason or None when stopped, usage)``.

        ``on_text`` returning True ends the request as spent (``"length"``).
        """
        request: dict[str, Any] = {
            "messages": [dict(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.sampling.max_tokens + extra_tokens,
            **self.sampling.request(),
        }
        if constrained:
            # A call's arguments repeat what the user said ("17 * 23"): a repetition penalty
            # over the prompt would push the model off the very values it should copy.
            request["repeat_penalty"] = 1.0
        if grammar is not None:
            request["grammar"] = grammar
        state: dict[str, Any] = {"finish": None, "usage": None, "error": None, "spent": False}

        def on_chunk(chunk: Any) -> bool:
            if self.stop.is_set():
                return True
            if isinstance(chunk, Mapping) and "error" in chunk:
                state["error"] = chunk
                return True
            for choice in chunk.get("choices") or ():
                text = (choice.get("delta") or {}).get("content")
                if text and on_text(text):
                    state["spent"] = True
                    return True
                if choice.get("finish_reason"):
                    state["finish"] = choice["finish_reason"]
            if chunk.get("usage"):
                state["usage"] = chunk["usage"]
            return self.stop.is_set()

        reply = self.model.server.handle_chat_completions(request, on_chunk)
        self._check(reply)
        self._check(state["error"])
        if self.stop.is_set():
            return None, state["usage"]
        if state["spent"]:
            return "length", state["usage"]
        return state["finish"] or "stop", state["usage"]

    def finish(self, reason: str | None, usage: Any, *, tool_call: bool = False) -> None:
        if reason is None:
            return  # stopped by the consumer: nothing more is emitted
        if reason == "length":
            self.emit(Finish(FinishReason.LENGTH, "length"))
        elif tool_call:
            self.emit(Finish(FinishReason.TOOL_CALLS, "tool_calls"))
        else:
            self.emit(Finish(FinishReason.STOP, reason))
        if isinstance(usage, Mapping):
            self.emit(
                Usage(
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                )
            )
        self.emit(END)

    # --- paths ---------------------------------------------------------------------------------

    def answer(self) -> None:
        schema = self.plan.response_format
        grammar = _grammar(schema) if schema is not None else None
        if grammar is None and self.plan.answer_opens_no_call:
            grammar = NO_CALL_GRAMMAR

        def on_text(text: str) -> bool:
            self.emit(TextDelta(text))
            return False

        reason, usage = self.stream(self.plan.answer_messages, on_text, grammar)
        self.finish(reason, usage)

    def call(self, tools: Sequence[ToolDefinition]) -> None:
        calls = _CallStream(self.emit, self.sampling.max_tokens)
        # The budget is the arguments': the fixed head ``{"tool": NAME, "arguments": `` is extra
        # (a token is at least one character, so its length in characters bounds it).
        head = max(len(arguments_prefix(t.name)) for t in tools)
        reason, usage = self.stream(
            self.plan.call_messages,
            calls.feed,
            _grammar(call_schema(tools)),
            head,
            constrained=True,
        )
        if reason is not None:
            calls.close(complete=reason != "length")
        self.finish(reason, usage, tool_call=True)

    def wants_call(self) -> bool:
        """Automatic choice: whether the first token of the reply opens a call."""
        request = {
            "messages": [dict(m) for m in self.plan.call_messages],
            "max_tokens": 1,
            "logprobs": True,
            "top_logprobs": _TOP_LOGPROBS,
            "temperature": 0,
        }
        reply = self.model.server.handle_chat_completions(request)
        self._check(reply)
        try:
            top = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (KeyError, IndexError, TypeError):
            return False
        call_mass = sum(
            math.exp(t["logprob"]) for t in top if str(t.get("token", "")).lstrip().startswith("{")
        )
        answer_mass = max(1.0 - call_mass, 1e-9)
        if call_mass <= 0:
            return False
        return math.log(call_mass) - math.log(answer_mass) + self.plan.tool_bias > 0

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
                if self.wants_call():
                    self.call(tools)
                elif not self.stop.is_set():
                    self.answer()
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

    A failure inside llama.cpp is the model runtime failing, reported as a non-retryable
    ``ServerError``; a prompt larger than the context is ``ContextLengthExceededError``.
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
    except (RuntimeError, ValueError) as error:
        raise ServerError(
            f"llama.cpp failed during generation: {error}", provider="local", retryable=False
        ) from error
    finally:
        model.lock.release()
