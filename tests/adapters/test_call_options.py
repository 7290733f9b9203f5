"""``CallOptions`` on the OpenAI Chat and Anthropic wires: one name per concept, the vendor's
spelling in the body.

For each option: the value reaches the body under the vendor's own name (and where real clients'
recorded requests carry that name, with the same JSON type); a per-call value beats the
constructor's default; an option the wire cannot express is a ``ValueError`` naming it, raised
before any request reaches the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llmport import CallOptions, Reasoning, ToolDefinition, UserMessage
from llmport.adapters.anthropic import AnthropicAdapter
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.adapter import HttpAdapter
from tests.support.fake_server import FakeServer
from tests.support.options import dig, json_type, present, recorded_types
from tests.support.streams import streams_available

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "title": "Answer"}
TOOL = ToolDefinition("lookup", "Look up", {"type": "object", "properties": {}})
HI = [UserMessage("hi")]

Factory = Callable[..., HttpAdapter]
WIRES: dict[str, tuple[Factory, tuple[str, ...]]] = {
    "openai_chat": (lambda **o: OpenAIChatAdapter("gpt-x", api_key="k", **o), ("openai_chat_sse",)),
    "anthropic": (
        lambda **o: AnthropicAdapter("claude-x", api_key="k", **o),
        ("anthropic_messages_sse",),
    ),
}

# (wire, option, value, body path, expected value at the path, recorded by real clients)
CASES: list[tuple[str, str, Any, tuple[str, ...], Any, bool]] = [
    ("openai_chat", "max_tokens", 64, ("max_completion_tokens",), 64, True),
    ("openai_chat", "temperature", 0.5, ("temperature",), 0.5, True),
    ("openai_chat", "top_p", 0.9, ("top_p",), 0.9, False),
    ("openai_chat", "stop", ("END",), ("stop",), ["END"], False),
    ("openai_chat", "seed", 7, ("seed",), 7, True),
    ("openai_chat", "tool_choice", "required", ("tool_choice",), "required", True),
    ("openai_chat", "tool_choice", "lookup", ("tool_choice", "function", "name"), "lookup", False),
    ("openai_chat", "parallel_tool_calls", False, ("parallel_tool_calls",), False, True),
    ("openai_chat", "reasoning", Reasoning(effort="low"), ("reasoning_effort",), "low", False),
    (
        "openai_chat",
        "response_format",
        SCHEMA,
        ("response_format", "json_schema", "schema"),
        SCHEMA,
        False,
    ),
    ("openai_chat", "extra_body", {"user": "u1"}, ("user",), "u1", False),
    ("anthropic", "max_tokens", 64, ("max_tokens",), 64, True),
    ("anthropic", "temperature", 0.5, ("temperature",), 0.5, True),
    ("anthropic", "top_p", 0.9, ("top_p",), 0.9, False),
    ("anthropic", "stop", ("END",), ("stop_sequences",), ["END"], True),
    ("anthropic", "tool_choice", "required", ("tool_choice", "type"), "any", True),
    ("anthropic", "tool_choice", "lookup", ("tool_choice", "name"), "lookup", False),
    (
        "anthropic",
        "parallel_tool_calls",
        False,
        ("tool_choice", "disable_parallel_tool_use"),
        True,
        False,
    ),
    (
        "anthropic",
        "reasoning",
        Reasoning(budget_tokens=2048),
        ("thinking", "budget_tokens"),
        2048,
        True,
    ),
    ("anthropic", "reasoning", Reasoning(effort="none"), ("thinking", "type"), "disabled", False),
    ("anthropic", "response_format", SCHEMA, ("output_config", "format", "schema"), SCHEMA, False),
    (
        "anthropic",
        "extra_body",
        {"metadata": {"user_id": "u"}},
        ("metadata", "user_id"),
        "u",
        False,
    ),
]

UNSUPPORTED: list[tuple[str, str, Any]] = [
    ("openai_chat", "reasoning", Reasoning(budget_tokens=1024)),
    ("openai_chat", "reasoning", Reasoning(effort="high", summary="auto")),
    ("anthropic", "seed", 7),
    ("anthropic", "reasoning", Reasoning(effort="low", summary="auto")),
]


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{case[1]}-{case[3][-1]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_each_option_reaches_the_body_under_the_vendor_name(
    case: tuple[str, str, Any, tuple[str, ...], Any, bool],
) -> None:
    wire, option, value, path, expected, recorded = case
    factory, formats = WIRES[wire]
    per_call = factory().request_body(HI, [TOOL], CallOptions(**{option: value}))
    as_default = factory(**{option: value}).request_body(HI, [TOOL])
    assert dig(per_call, path) == expected
    assert dig(as_default, path) == expected
    unset = dig(factory().request_body(HI, [TOOL]), path)
    assert unset != expected  # absent, or the wire's required default (Anthropic's max_tokens)
    assert not present(factory().request_body(HI, [TOOL]), path) or path == ("max_tokens",)
    if recorded and streams_available():
        # Real clients sent this very name, with a value of the same JSON type.
        assert json_type(expected) in recorded_types(formats, path[:1] if len(path) == 1 else path)


@pytest.mark.parametrize("wire", sorted(WIRES))
def test_a_per_call_value_beats_the_constructor_default(wire: str) -> None:
    factory, _ = WIRES[wire]
    adapter = factory(temperature=0.1, max_tokens=10, extra_body={"a": 1, "b": 1})
    body = adapter.request_body(HI, [], CallOptions(temperature=0.9, extra_body={"b": 2}))
    assert body["temperature"] == 0.9
    assert (body["a"], body["b"]) == (1, 2)
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 10
    # The defaults themselves are untouched by a per-call value.
    assert adapter.request_body(HI, [])["temperature"] == 0.1


@pytest.mark.parametrize(("wire", "option", "value"), UNSUPPORTED)
async def test_an_option_the_wire_cannot_express_fails_before_any_request(
    wire: str, option: str, value: Any
) -> None:
    factory, _ = WIRES[wire]
    name = option if option != "reasoning" else "reasoning."
    async with FakeServer() as server:
        adapter = factory(base_url=server.url, max_retries=0)
        with pytest.raises(ValueError, match=name) as caught:
            await adapter.chat_stream(HI, [], options=CallOptions(**{option: value}))
        assert wire.replace("_", "-") in str(caught.value)
        assert server.requests == []
        with pytest.raises(ValueError, match=name):
            factory(**{option: value})  # as a default: at construction
        await adapter.aclose()


def test_options_may_be_given_as_a_plain_mapping() -> None:
    factory, _ = WIRES["openai_chat"]
    body = factory().request_body(HI, [], {"temperature": 0.3, "stop": "X"})
    assert (body["temperature"], body["stop"]) == (0.3, ["X"])
    with pytest.raises(ValueError, match="unknown call option"):
        factory().request_body(HI, [], {"temprature": 0.3})
