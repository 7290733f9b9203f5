"""``parse_json``: the one JSON parse of every decoder; exactly what ``json.loads`` accepts and
refuses, with lone surrogates made U+FFFD."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmport.core.assembler import DeltaAssembler
from llmport.core.decoding import parse_json, replace_lone_surrogates
from llmport.domain.events import FinishReason, ToolCallDelta

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def same_as_json_loads(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError as error:
        with pytest.raises(ValueError) as info:
            parse_json(text)
        assert type(info.value) is type(error)
        return
    assert json.dumps(parse_json(text)) == json.dumps(expected)  # as text: NaN equals NaN


@settings(max_examples=200, deadline=None)
@given(
    value=json_values,
    before=st.sampled_from(["", " ", "\t", "\n"]),
    after=st.sampled_from(["", " ", "   ", "\n", "\r\n", "x", " }", ",", "\x0c", "\u00a0"]),
)
def test_accepts_and_refuses_exactly_what_json_loads_does(
    value: object, before: str, after: str
) -> None:
    same_as_json_loads(before + json.dumps(value) + after)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
def test_arbitrary_text(text: str) -> None:
    same_as_json_loads(text)


def test_trailing_non_json_whitespace_is_refused() -> None:
    for text in ("0\x0c", "{}\x0b", '"a"\u2028'):
        with pytest.raises(ValueError):
            parse_json(text)


def test_lone_surrogates_become_the_replacement_character_and_pairs_stay() -> None:
    data = r'{"a": "x\ud800y", "\udfff": ["\uD83D\uDE00", "\ud83d"], "ok": "\u00e9"}'
    value = parse_json(data)
    assert value == {"a": "x\ufffdy", "\ufffd": ["\U0001f600", "\ufffd"], "ok": "\u00e9"}
    json.dumps(value, ensure_ascii=False).encode()  # encodable: nothing lone is left
    assert replace_lone_surrogates(["\ud800", 1, None]) == ["\ufffd", 1, None]


def test_a_lone_surrogate_in_tool_arguments_becomes_the_replacement_character() -> None:
    assembler = DeltaAssembler()
    assembler.add_tool_call(ToolCallDelta(0, "c", "f", r'{"q": "\ud800"}'))
    message, _ = assembler.build(FinishReason.STOP)
    assert message.tool_calls[0].arguments == {"q": "\ufffd"}
    message.tool_calls[0].arguments_json().encode()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 300 + "]" * 300,  # deeper than the fast parser goes: the standard path takes it
        '{"\\ud800": 1, "a": "\\udfffx"}',  # lone surrogates in a key and a value
        '"\\ud83d\\ude00"',  # a valid pair
        "NaN",
        "[-Infinity, Infinity, 1e400]",
        "123456789012345678901234567890",
        '{"a": 1, "a": 2}',  # the last duplicate wins
        "\ufeff{}",  # a byte-order mark is refused
        '"a\x01b"',  # a raw control character is refused
        "1.0000000000000002",
        " {} \r\n",
    ],
)
def test_the_fast_parser_and_its_fallback_agree_with_json_loads(text: str) -> None:
    if "\\u" in text and "\\ud83d" not in text:
        value = parse_json(text)
        assert json.dumps(value) == json.dumps(replace_lone_surrogates(json.loads(text)))
    else:
        same_as_json_loads(text)
