"""``JSONArrayFramer``: one frame per element of a streamed JSON array, however it is split."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.core.json_array import JSONArrayFramer
from llmport.domain.errors import StreamProtocolError, StreamTooLargeError

leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
elements = st.lists(st.dictionaries(st.text(max_size=5), values, max_size=3), max_size=5)


def body_of(items: list[dict[str, object]], indent: int | None, sep: str) -> bytes:
    inner = sep.join(json.dumps(item, indent=indent) for item in items)
    return f"[{inner}]".encode()


@given(elements, st.sampled_from([None, 2]), st.sampled_from([",", "\r\n,", "\n,\r\n", ", "]),
       st.lists(st.integers(1, 40), min_size=1, max_size=8))  # fmt: skip
def test_every_element_once_whatever_the_splits(
    items: list[dict[str, object]], indent: int | None, sep: str, sizes: list[int]
) -> None:
    body = body_of(items, indent, sep)
    framer = JSONArrayFramer()
    frames, at, k = [], 0, 0
    while at < len(body):
        size = sizes[k % len(sizes)]
        frames += framer.feed(body[at : at + size])
        at, k = at + size, k + 1
    frames += framer.close()
    assert [json.loads(text) for _, text in frames] == items
    assert all(event == "" for event, _ in frames)


def test_strings_with_brackets_quotes_and_escapes_do_not_confuse_it() -> None:
    item = {"text": 'a ] } [ { \\" " \\\\', "x": ["]", "}"]}
    body = body_of([item, item], 2, "\r\n,")
    assert [json.loads(t) for _, t in JSONArrayFramer().feed(body)] == [item, item]


def test_a_cut_element_is_dropped_and_a_bare_object_is_one_element() -> None:
    framer = JSONArrayFramer()
    assert [t for _, t in framer.feed(b'[{"a": 1}, {"b": ')] == ['{"a": 1}']
    assert framer.close() == []
    assert JSONArrayFramer().feed(b'{"error": {"code": 500}}') == [("", '{"error": {"code": 500}}')]


def test_not_an_array_is_a_protocol_error() -> None:
    with pytest.raises(StreamProtocolError):
        JSONArrayFramer().feed(b"data: {}")
    with pytest.raises(StreamProtocolError):
        JSONArrayFramer().feed(b"[1, 2]")


def test_an_endless_element_is_bounded() -> None:
    framer = JSONArrayFramer(max_event_bytes=1000)
    framer.feed(b'[{"a": "')
    with pytest.raises(StreamTooLargeError):
        for _ in range(100):
            framer.feed(b"x" * 100)
