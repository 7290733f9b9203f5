"""JSON codecs of everything a run stores or ships: ``to_dict`` / ``from_dict`` through real JSON.

Durable and distributed runs move these between processes, so each must come back equal, from
plain JSON text, and bad stored data must be a clear ``ValueError``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.domain.events import Done, FinishReason, Usage
from llmport.domain.messages import AssistantMessage, ToolCall, ToolMessage
from llmport.domain.options import CallOptions, Reasoning
from llmport.domain.tools import ToolDefinition
from tests.domain.test_messages import json_objects, texts, tool_calls


def through_json(data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(data))


counts = st.integers(0, 10**9)
usages = st.builds(Usage, counts, counts, counts, counts)
assistant_messages = st.builds(
    AssistantMessage,
    text=texts,
    tool_calls=st.lists(tool_calls, max_size=2).map(tuple),
    provider_blocks=st.lists(json_objects, max_size=2).map(tuple),
    layout=json_objects,
)
dones = st.builds(
    Done,
    finish_reason=st.sampled_from(FinishReason),
    raw_finish_reason=st.none() | texts,
    usage=st.none() | usages,
    message=assistant_messages,
    stop_sequence=st.none() | texts,
    detail=st.none() | texts,
    response_id=st.none() | texts,
    model=st.none() | texts,
)
schemas = st.builds(
    lambda props: {"type": "object", "properties": props}, st.dictionaries(texts, json_objects)
)
definitions = st.builds(
    ToolDefinition,
    name=st.text(min_size=1, max_size=10),
    description=texts,
    parameters=schemas,
    strict=st.none() | st.booleans(),
)
reasonings = st.one_of(
    st.builds(Reasoning, effort=st.sampled_from(["low", "high"])),
    st.builds(Reasoning, budget_tokens=st.integers(0, 10**6), summary=st.none() | texts),
)
options = st.builds(
    CallOptions,
    max_tokens=st.none() | st.integers(1, 10**6),
    temperature=st.none() | st.floats(0, 2),
    top_p=st.none() | st.floats(0, 1),
    stop=st.none() | st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3).map(tuple),
    seed=st.none() | st.integers(-(2**31), 2**31),
    tool_choice=st.none() | st.sampled_from(["auto", "none", "required", "lookup"]),
    parallel_tool_calls=st.none() | st.booleans(),
    reasoning=st.none() | reasonings,
    response_format=st.none() | schemas,
    extra_body=st.none() | json_objects,
)


@given(dones)
def test_done_round_trips(done: Done) -> None:
    assert Done.from_dict(through_json(done.to_dict())) == done


@given(usages)
def test_usage_round_trips(usage: Usage) -> None:
    assert Usage.from_dict(through_json(usage.to_dict())) == usage


@given(tool_calls)
def test_tool_call_and_its_provider_data_round_trip(call: ToolCall) -> None:
    assert ToolCall.from_dict(through_json(call.to_dict())) == call


@given(st.builds(ToolMessage, texts, texts, st.booleans(), st.none() | texts))
def test_tool_message_round_trips(message: ToolMessage) -> None:
    assert ToolMessage.from_dict(through_json(message.to_dict())) == message


@given(definitions)
def test_tool_definition_round_trips(definition: ToolDefinition) -> None:
    assert ToolDefinition.from_dict(through_json(definition.to_dict())) == definition


@given(options)
def test_call_options_round_trip(value: CallOptions) -> None:
    assert CallOptions.from_dict(through_json(value.to_dict())) == value


def test_absent_usage_stays_absent_not_zero() -> None:
    done = Done(FinishReason.STOP, "stop", None, AssistantMessage("hi"))
    assert Done.from_dict(through_json(done.to_dict())).usage is None


SYSTEM = {"role": "system", "content": "x"}


@pytest.mark.parametrize(
    ("decode", "data", "message"),
    [
        (Done.from_dict, {"finish_reason": "nope"}, "finish_reason"),
        (
            Done.from_dict,
            {"finish_reason": "stop", "message": {"role": "system", "content": "x"}},
            "assistant",
        ),
        (Usage.from_dict, {"input_tokens": -1}, "input_tokens"),
        (Usage.from_dict, {"output_tokens": "3"}, "output_tokens"),
        (ToolDefinition.from_dict, {"name": "t", "parameters": {"type": "array"}}, "Schema"),
        (ToolCall.from_dict, {"id": "c", "name": "n", "provider_data": [1]}, "provider_data"),
        (CallOptions.from_dict, {"temprature": 1}, "unknown call option"),
        (CallOptions.from_dict, {"temperature": 9}, "between"),
        (CallOptions.from_dict, {"reasoning": "huge"}, "effort"),
    ],
)
def test_bad_stored_data_is_a_clear_value_error(decode: Any, data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode(data)


def test_options_merge_per_call_wins_and_extra_body_merges_key_by_key() -> None:
    defaults = CallOptions(temperature=0.1, max_tokens=10, extra_body={"a": 1, "b": 1})
    merged = defaults.merged(CallOptions(temperature=0.7, extra_body={"b": 2}))
    assert merged == CallOptions(temperature=0.7, max_tokens=10, extra_body={"a": 1, "b": 2})
    assert defaults.merged(None) is defaults
    assert CallOptions(stop="END").stop == ("END",)
    assert CallOptions(reasoning="high").reasoning == Reasoning(effort="high")
    assert CallOptions(reasoning=2048).reasoning == Reasoning(budget_tokens=2048)
    assert CallOptions(tool_choice="lookup").tool_choice_mode == "tool"
