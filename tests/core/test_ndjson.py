"""NDJSON framing: lines, splits, CRLF, the unterminated last line, limits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.core.ndjson import NDJSONFramer
from llmport.domain.errors import StreamTooLargeError
from tests.support.streams import recorded_streams, streams_available


def lines(*chunks: bytes, limit: int | None = None) -> list[str]:
    framer = NDJSONFramer() if limit is None else NDJSONFramer(max_event_bytes=limit)
    out = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    out.extend(framer.close())
    assert all(event == "" for event, _ in out)
    return [data for _, data in out]


def test_lines_blank_lines_and_crlf() -> None:
    assert lines(b'{"a":1}\n\n{"b":2}\r\n  \n{"c":3}\n') == ['{"a":1}', '{"b":2}', '{"c":3}']


def test_unterminated_last_line_is_handed_out_at_close() -> None:
    framer = NDJSONFramer()
    assert framer.feed(b'{"a":1}\n{"b"') == [("", '{"a":1}')]
    assert framer.feed(b":2}") == []
    assert framer.close() == [("", '{"b":2}')]


def test_endless_line_raises() -> None:
    framer = NDJSONFramer(max_event_bytes=100)
    for _ in range(3):
        framer.feed(b"x" * 30)
    with pytest.raises(StreamTooLargeError):
        framer.feed(b"x" * 30)
    with pytest.raises(StreamTooLargeError):
        NDJSONFramer(max_event_bytes=10).feed(b"x" * 20 + b"\n")


@given(
    st.lists(st.sampled_from(['{"a":1}', '{"é":"🌍"}', "", "[1,2]"]), max_size=20),
    st.lists(st.integers(min_value=1, max_value=200), max_size=10),
)
def test_any_split_gives_the_same_lines(items: list[str], cuts: list[int]) -> None:
    body = "".join(i + "\n" for i in items).encode()
    points = sorted({c for c in cuts if c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert lines(*pieces) == [i for i in items if i]


@pytest.mark.skipif(not streams_available(), reason="../shared/streams is absent")
@pytest.mark.parametrize(
    "stream",
    recorded_streams("ollama_ndjson"),
    ids=[s.name for s in recorded_streams("ollama_ndjson")],
)
def test_recorded_ollama_bodies(stream) -> None:  # type: ignore[no-untyped-def]
    import json

    body = stream.body
    whole = lines(body)
    assert whole
    assert all(isinstance(json.loads(x), dict) for x in whole)
    rng = random.Random(0)
    assert lines(*[body[i : i + 1] for i in range(len(body))]) == whole
    cuts = sorted(rng.randrange(len(body)) for _ in range(30))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert lines(*pieces) == whole
