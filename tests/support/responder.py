"""``Responder``: a scripted double that answers from the request instead of a fixed script.

LangChain's standard integration suite asks many different things of one model fixture
("Hello", "call magic_function(3)", "tell me a joke" under a JSON schema ...). This double
decides each turn by plain rules and plays it through ``ScriptedAdapter`` (so every stream
goes through the real guard and assembler):

- a ``response_format`` -> a JSON object built from the schema (strings from the prompt);
- tools offered, the last message from the user, and ``tool_choice`` not ``none`` -> one call
  to the named tool (or the first tool named in the prompt, or the first tool), arguments built
  from its schema: integers from the prompt's numbers in order, strings from its first quoted
  phrase (else the prompt's last capitalised word);
- otherwise text: ``"You said: <prompt>"`` in small chunks, cut at a ``stop`` sequence.

Usage is always reported (words in, words out), the model is the one asked for. Nothing here is
clever: it exists to drive the LangChain adapter through every path, offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.domain.events import Done, FinishReason, TextDelta, ToolCallDelta, Usage
from llmport.domain.messages import AgentMessage, AssistantMessage, ToolMessage, UserMessage
from llmport.domain.options import CallOptions
from llmport.domain.tools import ToolDefinition

MODEL = "responder-1"


def _prompt(messages: Sequence[AgentMessage]) -> str:
    last = next((m for m in reversed(messages) if isinstance(m, UserMessage)), None)
    return last.text if last is not None else ""


def _words(messages: Sequence[AgentMessage]) -> int:
    total = 0
    for message in messages:
        text = getattr(message, "text", None)
        if not isinstance(text, str):
            text = getattr(message, "content", "")
        total += len(str(text).split())
    return max(total, 1)


def _value(schema: Mapping[str, Any], name: str, prompt: str, numbers: list[int]) -> Any:
    kind = schema.get("type")
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _value(options[0], name, prompt, numbers) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return numbers.pop(0) if numbers else 1
    if kind == "number":
        return float(numbers.pop(0)) if numbers else 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value(schema.get("items", {"type": "string"}), name, prompt, numbers)]
    if kind == "object":
        return _object(schema, prompt, numbers)
    quoted = re.findall(r"'([^']+)'|\"([^\"]+)\"", prompt)
    if quoted:
        return next(q for pair in quoted for q in pair if q)
    capitalised = re.findall(r"\b[A-Z][a-z]+\b", prompt)
    return capitalised[-1] if capitalised else f"{name} about {prompt[:40]}".strip()


def _object(schema: Mapping[str, Any], prompt: str, numbers: list[int]) -> dict[str, Any]:
    properties = schema.get("properties", {})
    return {name: _value(sub, name, prompt, numbers) for name, sub in properties.items()}


def _numbers(prompt: str) -> list[int]:
    return [int(n) for n in re.findall(r"-?\d+", prompt)]


def decide(
    messages: Sequence[AgentMessage],
    tools: Sequence[ToolDefinition],
    options: CallOptions | None,
    model: str = MODEL,
) -> ScriptedTurn:
    prompt = _prompt(messages)
    usage_in = _words(messages)
    choice = options.tool_choice if options is not None else None
    if options is not None and options.response_format is not None:
        answer = json.dumps(_object(options.response_format, prompt, _numbers(prompt)))
        pieces = [answer[i : i + 8] for i in range(0, len(answer), 8)]
        return ScriptedTurn(
            (
                *(TextDelta(p) for p in pieces),
                Done(
                    FinishReason.STOP, "stop", Usage(usage_in, 12), AssistantMessage(), model=model
                ),
            )
        )
    last = messages[-1] if messages else None
    if tools and choice != "none" and isinstance(last, UserMessage):
        named = [t for t in tools if t.name == choice]
        mentioned = [t for t in tools if t.name in prompt]
        target = (named or mentioned or list(tools))[0]
        arguments = _object(target.parameters, prompt, _numbers(prompt))
        return ScriptedTurn(
            (
                ToolCallDelta(0, "call_responder_1", target.name, json.dumps(arguments)[:5]),
                ToolCallDelta(0, arguments=json.dumps(arguments)[5:]),
                Done(
                    FinishReason.TOOL_CALLS,
                    "tool_calls",
                    Usage(usage_in, 9),
                    AssistantMessage(),
                    model=model,
                    response_id="resp-tool",
                ),
            )
        )
    if isinstance(last, ToolMessage):
        text = f"The tool said: {last.content}"
    else:
        text = f"You said: {prompt or 'nothing'}"
    stops = options.stop if options is not None and options.stop else ()
    for stop in stops:
        if stop in text:
            text = text[: text.index(stop)] or "…"
    pieces = [text[i : i + 6] for i in range(0, len(text), 6)]
    return ScriptedTurn(
        (
            *(TextDelta(p) for p in pieces),
            Done(
                FinishReason.STOP,
                "stop",
                Usage(usage_in, len(text.split())),
                AssistantMessage(),
                model=model,
                response_id="resp-text",
            ),
        )
    )


class Responder:
    """An ``LlmCompletionPort`` answering by ``decide`` through a ``ScriptedAdapter``."""

    provider = "responder"

    def __init__(self, model: str = MODEL) -> None:
        self.model = model
        self.scripted = ScriptedAdapter(provider="responder")

    @property
    def calls(self) -> list[Any]:
        return self.scripted.calls

    async def chat_stream(
        self,
        messages: Sequence[AgentMessage],
        tools: Sequence[ToolDefinition],
        *,
        options: CallOptions | None = None,
    ) -> Any:
        self.scripted.add(decide(messages, tools, options, self.model))
        return await self.scripted.chat_stream(messages, tools, options=options)


def from_model_string(model: str, **settings: Any) -> Responder:
    """``connect("responder:NAME")`` in tests that register the prefix (settings ignored)."""
    return Responder(model or MODEL)
