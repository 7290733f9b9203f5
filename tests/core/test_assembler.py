"""The shared delta assembler: every real-stream quirk of tool-call and reasoning fragments."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.core.assembler import DEFAULT_MAX_TOOL_CALLS, DeltaAssembler
from llmport.domain.errors import StreamTooLargeError
from llmport.domain.events import FinishReason, ReasoningDelta, ToolCallDelta
from llmport.domain.messages import (
    AssistantMessage,
    ReasoningPart,
    ToolCall,
    message_from_dict,
    message_to_dict,
)

STOP = FinishReason.STOP


def assemble(
    deltas: list[ToolCallDelta], reason: FinishReason = STOP, **options: Any
) -> tuple[AssistantMessage, FinishReason]:
    assembler = DeltaAssembler(**options)
    for delta in deltas:
        assembler.add_tool_call(delta)
    return assembler.build(reason)


# --- tool calls: keying, ids and names ---------------------------------------------------------


def test_fragments_are_joined_by_index() -> None:
    message, reason = assemble(
        [
            ToolCallDelta(0, "call_a", "get_weather", ""),
            ToolCallDelta(0, None, None, '{"ci'),
            ToolCallDelta(0, None, None, 'ty": "Par'),
            ToolCallDelta(0, None, None, 'is"}'),
        ]
    )
    assert message.tool_calls == (ToolCall("call_a", "get_weather", {"city": "Paris"}),)
    assert reason is FinishReason.TOOL_CALLS


def test_id_and_name_only_on_the_first_fragment_are_kept() -> None:
    message, _ = assemble(
        [ToolCallDelta(3, "x", "f", "{"), ToolCallDelta(3, "", "", '"a":1'), ToolCallDelta(3)]
        + [ToolCallDelta(3, arguments="}")]
    )
    assert message.tool_calls == (ToolCall("x", "f", {"a": 1}),)


def test_a_name_is_never_concatenated() -> None:
    message, _ = assemble(
        [
            ToolCallDelta(0, "c1", "search", '{"q":'),
            ToolCallDelta(0, "c1", "search", '"x"}'),  # servers that repeat id+name on every chunk
        ]
    )
    assert message.tool_calls == (ToolCall("c1", "search", {"q": "x"}),)


def test_a_late_id_fills_a_missing_one() -> None:
    message, _ = assemble([ToolCallDelta(0, None, "f", "{}"), ToolCallDelta(0, "late", None, "")])
    assert message.tool_calls == (ToolCall("late", "f", {}),)


def test_a_late_name_fills_a_missing_one() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", None, "{}"), ToolCallDelta(0, None, "f")])
    assert message.tool_calls == (ToolCall("c", "f", {}),)
    assert reason is FinishReason.TOOL_CALLS


def test_several_calls_interleaved() -> None:
    message, reason = assemble(
        [
            ToolCallDelta(0, "a", "first", '{"n":'),
            ToolCallDelta(1, "b", "second", '{"m":'),
            ToolCallDelta(0, None, None, "1}"),
            ToolCallDelta(1, None, None, "2}"),
        ]
    )
    assert message.tool_calls == (
        ToolCall("a", "first", {"n": 1}),
        ToolCall("b", "second", {"m": 2}),
    )
    assert reason is FinishReason.TOOL_CALLS


def test_mistral_whole_calls_each_in_one_delta() -> None:
    message, _ = assemble(
        [
            ToolCallDelta(0, "Xq1", "add", '{"a": 1, "b": 2}'),
            ToolCallDelta(1, "Xq2", "mul", '{"a": 3, "b": 4}'),
        ]
    )
    assert message.tool_calls == (
        ToolCall("Xq1", "add", {"a": 1, "b": 2}),
        ToolCall("Xq2", "mul", {"a": 3, "b": 4}),
    )


def test_server_reusing_index_0_with_new_ids() -> None:
    message, _ = assemble(
        [
            ToolCallDelta(0, "id_1", "f", '{"x":'),
            ToolCallDelta(0, None, None, "1}"),
            ToolCallDelta(0, "id_2", "g", '{"y":'),
            ToolCallDelta(0, None, None, "2}"),  # continues the newest call at index 0
            ToolCallDelta(0, "id_3", "h", "{}"),
        ]
    )
    assert message.tool_calls == (
        ToolCall("id_1", "f", {"x": 1}),
        ToolCall("id_2", "g", {"y": 2}),
        ToolCall("id_3", "h", {}),
    )


def test_kimi_duplicate_first_chunk_is_not_duplicated() -> None:
    # openrouter/kimi-duplicate-tool-chunk: index 0, id "0", the full name twice; "" then "{}".
    message, reason = assemble(
        [ToolCallDelta(0, "0", "get_time", ""), ToolCallDelta(0, "0", "get_time", "{}")]
    )
    assert message.tool_calls == (ToolCall("0", "get_time", {}),)
    assert reason is FinishReason.TOOL_CALLS


def test_a_repeated_whole_first_fragment_is_dropped() -> None:
    first = ToolCallDelta(0, "c", "f", '{"a": 1}')
    message, reason = assemble([first, first])
    assert message.tool_calls == (ToolCall("c", "f", {"a": 1}),)
    assert reason is FinishReason.TOOL_CALLS


def test_deltas_without_ids_get_unique_synthesized_ids() -> None:
    message, _ = assemble(
        [
            ToolCallDelta(0, None, "f", "{}"),
            ToolCallDelta(1, None, "g", "{}"),
            ToolCallDelta(2, "", "h", "{}"),
        ]
    )
    ids = [c.id for c in message.tool_calls]
    assert ids == ["call_0", "call_1", "call_2"]


def test_duplicate_ids_are_made_unique() -> None:
    message, _ = assemble(
        [
            ToolCallDelta(0, "same", "f", "{}"),
            ToolCallDelta(1, "same", "g", "{}"),
            ToolCallDelta(2, "same", "h", "{}"),
        ]
    )
    ids = [c.id for c in message.tool_calls]
    assert ids[0] == "same"
    assert len(set(ids)) == 3
    assert [c.name for c in message.tool_calls] == ["f", "g", "h"]


@pytest.mark.parametrize(
    "ids",
    [
        ["a_2", "a", "a"],
        ["call_1", None],
        [None, "call_0"],
        ["x", "x", "x_1", "x_1_2", "x"],
        ["", "", "call_1"],
    ],
)
def test_synthesized_ids_never_collide(ids: list[str | None]) -> None:
    message, _ = assemble([ToolCallDelta(i, cid, "f", "{}") for i, cid in enumerate(ids)])
    out = [c.id for c in message.tool_calls]
    assert len(out) == len(ids)
    assert len(set(out)) == len(ids)
    assert all(out)


@given(st.lists(st.none() | st.sampled_from(["", "a", "a_1", "a_2", "call_0", "call_1"])))
def test_ids_are_always_unique_and_non_empty(ids: list[str | None]) -> None:
    message, _ = assemble([ToolCallDelta(i, cid, "f", "{}") for i, cid in enumerate(ids)])
    out = [c.id for c in message.tool_calls]
    assert len(out) == len(set(out)) == len(ids)
    assert all(out)
    # A unique, non-empty id given by the provider is kept as it is.
    for given_id, call_id in zip(ids, out, strict=True):
        if given_id and ids.count(given_id) == 1:
            assert call_id == given_id


# --- tool calls: arguments and finish reasons -------------------------------------------------


def test_empty_arguments_mean_an_empty_object() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", "now", "")])
    assert message.tool_calls == (ToolCall("c", "now", {}),)
    assert message.tool_calls[0].complete
    assert reason is FinishReason.TOOL_CALLS
    message, _ = assemble([ToolCallDelta(0, "c", "now", "  \n")])
    assert message.tool_calls == (ToolCall("c", "now", {}),)


@pytest.mark.parametrize("raw", ["[1]", '"x"', "1", "null", "true", '{"a": 1', "{'a': 1}", "{}{}"])
@pytest.mark.parametrize("reason", [FinishReason.STOP, FinishReason.TOOL_CALLS])
def test_arguments_that_are_not_a_json_object_are_malformed(raw: str, reason: FinishReason) -> None:
    message, out = assemble([ToolCallDelta(0, "c", "f", raw)], reason)
    (call,) = message.tool_calls
    assert call == ToolCall("c", "f", {}, raw_arguments=raw, complete=False)
    assert out is FinishReason.MALFORMED_TOOL_CALL


def test_deeply_nested_arguments_are_malformed_not_a_crash() -> None:
    raw = "[" * 100_000
    message, reason = assemble([ToolCallDelta(0, "c", "f", raw)])
    assert message.tool_calls[0].complete is False
    assert message.tool_calls[0].raw_arguments == raw
    assert reason is FinishReason.MALFORMED_TOOL_CALL


def test_one_malformed_call_among_good_ones_marks_the_turn() -> None:
    message, reason = assemble(
        [ToolCallDelta(0, "a", "f", '{"ok": true}'), ToolCallDelta(1, "b", "g", '{"cut": ')]
    )
    assert [c.complete for c in message.tool_calls] == [True, False]
    assert message.tool_calls[0].arguments == {"ok": True}
    assert reason is FinishReason.MALFORMED_TOOL_CALL


def test_a_call_without_a_name_is_incomplete() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", None, "{}")])
    assert message.tool_calls == (ToolCall("c", "", {}, raw_arguments="{}", complete=False),)
    assert reason is FinishReason.MALFORMED_TOOL_CALL


def test_length_with_cut_json_keeps_length_and_flags_the_call() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", "f", '{"text": "once upon a ti')], LENGTH)
    (call,) = message.tool_calls
    assert call.complete is False
    assert call.raw_arguments == '{"text": "once upon a ti'
    assert call.arguments == {}
    assert reason is FinishReason.LENGTH


def test_length_with_empty_arguments_is_incomplete() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", "f", "")], LENGTH)
    (call,) = message.tool_calls
    assert call.complete is False
    assert call.raw_arguments == ""
    assert reason is FinishReason.LENGTH


def test_length_is_never_promoted() -> None:
    message, reason = assemble([ToolCallDelta(0, "c", "f", "{}")], LENGTH)
    assert message.tool_calls[0].complete
    assert reason is FinishReason.LENGTH


@pytest.mark.parametrize(
    "reason",
    [
        FinishReason.CONTENT_FILTER,
        FinishReason.CONTEXT_WINDOW,
        FinishReason.PAUSED,
        FinishReason.OTHER,
        FinishReason.REFUSAL,
        FinishReason.MALFORMED_TOOL_CALL,
    ],
)
def test_other_reasons_are_kept_with_calls(reason: FinishReason) -> None:
    _, out = assemble([ToolCallDelta(0, "c", "f", "{}")], reason)
    assert out is reason
    _, out = assemble([ToolCallDelta(0, "c", "f", "{")], reason)
    assert out is reason


def test_stop_without_calls_stays_stop() -> None:
    assembler = DeltaAssembler()
    assembler.add_text("hello")
    message, reason = assembler.build(STOP)
    assert message == AssistantMessage("hello")
    assert reason is STOP


LENGTH = FinishReason.LENGTH


# --- text, refusal, blocks, reasoning --------------------------------------------------------


def test_refusal_under_stop_is_refusal() -> None:
    assembler = DeltaAssembler()
    assembler.add_refusal("I can't ")
    assembler.add_refusal("help.")
    message, reason = assembler.build(STOP)
    assert message.refusal == "I can't help."
    assert message.text == "I can't help."
    assert reason is FinishReason.REFUSAL


def test_refusal_keeps_other_reasons() -> None:
    assembler = DeltaAssembler()
    assembler.add_refusal("no")
    _, reason = assembler.build(LENGTH)
    assert reason is LENGTH


def test_text_and_refusal_share_the_text() -> None:
    assembler = DeltaAssembler()
    assembler.add_text("Sorry: ")
    assembler.add_refusal("no.")
    message, _ = assembler.build(STOP)
    assert message.text == "Sorry: no."
    assert message.refusal == "no."


def test_provider_blocks_are_kept_in_order() -> None:
    assembler = DeltaAssembler()
    assembler.add_block({"type": "server_tool_use", "id": "1"})
    assembler.add_block({"type": "web_search_tool_result", "id": "2"})
    message, reason = assembler.build(STOP)
    assert [b["id"] for b in message.provider_blocks] == ["1", "2"]
    assert reason is STOP
    assert assembler.has_content


def test_reasoning_blocks_by_index_with_opaque_data_and_provider() -> None:
    assembler = DeltaAssembler(provider="anthropic")
    for delta in [
        ReasoningDelta("Let me ", index=0),
        ReasoningDelta("think.", index=0),
        ReasoningDelta(index=0, signature="sig-part-1"),
        ReasoningDelta(index=0, signature="sig-part-2"),
        ReasoningDelta(index=1, encrypted="redacted-data"),
        ReasoningDelta("summary", index=2, id="rs_123"),
        ReasoningDelta(index=2, encrypted="enc"),
    ]:
        assembler.add_reasoning(delta)
    message, _ = assembler.build(STOP)
    assert message.reasoning == (
        ReasoningPart("Let me think.", signature="sig-part-1sig-part-2", provider="anthropic"),
        ReasoningPart("", encrypted="redacted-data", provider="anthropic"),
        ReasoningPart("summary", encrypted="enc", id="rs_123", provider="anthropic"),
    )


def test_reasoning_blocks_interleaved_by_index() -> None:
    assembler = DeltaAssembler()
    for delta in [
        ReasoningDelta("a", index=0),
        ReasoningDelta("x", index=1),
        ReasoningDelta("b", index=0),
        ReasoningDelta("y", index=1),
    ]:
        assembler.add_reasoning(delta)
    message, _ = assembler.build(STOP)
    assert [r.text for r in message.reasoning] == ["ab", "xy"]
    assert all(r.provider is None for r in message.reasoning)


def test_has_content() -> None:
    assembler = DeltaAssembler()
    assert not assembler.has_content
    assembler.add_reasoning(ReasoningDelta("r"))
    assert assembler.has_content


def test_empty_turn() -> None:
    message, reason = DeltaAssembler().build(STOP)
    assert message == AssistantMessage()
    assert reason is STOP


# --- bounds ----------------------------------------------------------------------------------


def test_max_tool_calls_is_enforced_with_a_clear_error() -> None:
    assembler = DeltaAssembler(provider="openai", max_tool_calls=3)
    for i in range(3):
        assembler.add_tool_call(ToolCallDelta(i, f"c{i}", "f", "{}"))
    assembler.add_tool_call(ToolCallDelta(2, None, None, ""))  # continuing is fine
    with pytest.raises(StreamTooLargeError, match="more than 3 tool calls in one turn") as caught:
        assembler.add_tool_call(ToolCallDelta(3, "c3", "f", "{}"))
    assert caught.value.provider == "openai"
    # Reusing an index with a new id is a new call too.
    with pytest.raises(StreamTooLargeError):
        assembler.add_tool_call(ToolCallDelta(0, "other", "f", "{}"))


def test_default_bound_allows_many_parallel_calls() -> None:
    deltas = [ToolCallDelta(i, f"c{i}", "f", "{}") for i in range(DEFAULT_MAX_TOOL_CALLS)]
    message, _ = assemble(deltas)
    assert len(message.tool_calls) == DEFAULT_MAX_TOOL_CALLS
    with pytest.raises(StreamTooLargeError):
        assemble([*deltas, ToolCallDelta(DEFAULT_MAX_TOOL_CALLS, "x", "f", "{}")])


# --- property: splits and interleavings do not change the result -----------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_args = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        json_leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=5,
    ),
    max_size=4,
)


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(text[start:point])
        start = point
    pieces.append(text[start:])
    return pieces


@st.composite
def turns(draw: st.DrawFn) -> tuple[list[object], str, list[ToolCall], str]:
    """A turn's deltas split and interleaved at random, with what they must assemble to."""
    n = draw(st.integers(0, 4))
    indices = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n, unique=True))
    names = draw(st.lists(st.text(min_size=1, max_size=10), min_size=n, max_size=n))
    arguments = draw(st.lists(json_args, min_size=n, max_size=n))
    compact = draw(st.booleans())
    streams: list[list[object]] = []
    calls: list[ToolCall] = []
    for k in range(n):
        call_id = f"call_{k}_{indices[k]}"
        raw = json.dumps(
            arguments[k],
            ensure_ascii=draw(st.booleans()),
            separators=(",", ":") if compact else None,
        )
        pieces = _split(raw, draw(st.lists(st.integers(0, 10_000), max_size=6)))
        fragments: list[object] = [ToolCallDelta(indices[k], call_id, names[k], pieces[0])]
        fragments += [ToolCallDelta(indices[k], None, None, p) for p in pieces[1:]]
        streams.append(fragments)
        calls.append(ToolCall(call_id, names[k], arguments[k]))
    text = draw(st.text(max_size=30))
    streams.append([("text", p) for p in _split(text, draw(st.lists(st.integers(0, 99))))])
    thought = draw(st.text(max_size=20))
    streams.append(
        [ReasoningDelta(p) for p in _split(thought, draw(st.lists(st.integers(0, 99)))) if p]
    )
    # A random merge that keeps each stream's own order.
    order = draw(st.permutations([s for s, stream in enumerate(streams) for _ in stream]))
    positions = [0] * len(streams)
    merged: list[object] = []
    for s in order:
        merged.append(streams[s][positions[s]])
        positions[s] += 1
    return merged, text, calls, thought


def _feed(
    items: list[object], reason: FinishReason = STOP
) -> tuple[AssistantMessage, FinishReason]:
    assembler = DeltaAssembler()
    for item in items:
        if isinstance(item, ToolCallDelta):
            assembler.add_tool_call(item)
        elif isinstance(item, ReasoningDelta):
            assembler.add_reasoning(item)
        else:
            assert isinstance(item, tuple)
            assembler.add_text(item[1])
    return assembler.build(reason)


@given(turns())
def test_splits_and_interleavings_give_the_same_message(
    turn: tuple[list[object], str, list[ToolCall], str],
) -> None:
    merged, text, calls, thought = turn
    message, reason = _feed(merged)
    # Calls come out in the order their first fragment arrived.
    first_seen = [item.id for item in merged if isinstance(item, ToolCallDelta) and item.id]
    calls = sorted(calls, key=lambda c: first_seen.index(c.id))
    assert message.text == text
    assert message.tool_calls == tuple(calls)
    assert message.reasoning == ((ReasoningPart(thought),) if thought else ())
    assert reason is (FinishReason.TOOL_CALLS if calls else STOP)
    # The unsplit, non-interleaved deltas (in the same call order) give the very same message.
    unsplit: list[object] = [("text", text)]
    unsplit += [
        ToolCallDelta(i, c.id, c.name, json.dumps(c.arguments)) for i, c in enumerate(calls)
    ]
    if thought:
        unsplit.append(ReasoningDelta(thought))
    assert _feed(unsplit) == (message, reason)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_make_a_call_malformed(constant: str) -> None:
    assembler = DeltaAssembler()
    assembler.add_tool_call(ToolCallDelta(0, "c1", "f", f'{{"x": {constant}}}'))
    message, reason = assembler.build(FinishReason.TOOL_CALLS)
    assert reason is FinishReason.MALFORMED_TOOL_CALL
    assert message.tool_calls[0].complete is False


# --- provider data on tool calls -------------------------------------------------------------

provider_data = st.dictionaries(st.text(max_size=6), json_leaves, max_size=3)


@given(turns(), st.data())
def test_provider_data_lands_on_its_call_whatever_the_interleaving(
    turn: tuple[list[object], str, list[ToolCall], str], data: st.DataObject
) -> None:
    merged, _, calls, _ = turn
    indices = {
        item.id: item.index for item in merged if isinstance(item, ToolCallDelta) and item.id
    }
    wanted = {c.id: data.draw(provider_data) for c in calls}
    # Each call's data, split in pieces, goes in after its first fragment, anywhere later.
    for call_id, value in wanted.items():
        first = next(
            i
            for i, item in enumerate(merged)
            if isinstance(item, ToolCallDelta) and item.id == call_id
        )
        for key, piece in value.items():
            at = data.draw(st.integers(first + 1, len(merged)))
            merged.insert(at, ("data", indices[call_id], {key: piece}))
    assembler = DeltaAssembler()
    for item in merged:
        if isinstance(item, ToolCallDelta):
            assembler.add_tool_call(item)
        elif isinstance(item, ReasoningDelta):
            assembler.add_reasoning(item)
        elif item[0] == "data":
            assembler.add_call_data(item[1], item[2])
        else:
            assembler.add_text(item[1])
    message, _ = assembler.build(STOP)
    assert {c.id: dict(c.provider_data) for c in message.tool_calls} == wanted
    restored = message_from_dict(json.loads(json.dumps(message_to_dict(message))))
    assert restored == message


def test_authoritative_arguments_replace_what_the_deltas_built() -> None:
    assembler = DeltaAssembler()
    assembler.add_tool_call(ToolCallDelta(0, "c1", "f", '{"a": 1'))
    assembler.set_call_arguments(0, '{"a": 2}')
    assembler.set_call_arguments(1, '{"b": 3}')  # a call seen only through its .done event
    assembler.add_tool_call(ToolCallDelta(1, "c2", "g"))
    message, reason = assembler.build(STOP)
    assert [(c.id, c.name, dict(c.arguments)) for c in message.tool_calls] == [
        ("c1", "f", {"a": 2}),
        ("c2", "g", {"b": 3}),
    ]
    assert reason is FinishReason.TOOL_CALLS


def test_layout_records_merge_onto_the_message() -> None:
    assembler = DeltaAssembler()
    assembler.add_layout({"order": [1]})
    assembler.add_layout({"citations": {"0": []}})
    message, _ = assembler.build(STOP)
    assert message.layout == {"order": [1], "citations": {"0": []}}
