"""SSE framing: the WHATWG rules, chunk splits, limits, and every recorded SSE body."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmport.core.sse import SSEFramer
from llmport.domain.errors import StreamTooLargeError
from tests.support.streams import recorded_streams, streams_available


def frames(*chunks: bytes, **kwargs: int) -> list[tuple[str, str]]:
    framer = SSEFramer(**kwargs)
    out: list[tuple[str, str]] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    out.extend(framer.close())
    return out


def reference(body: bytes) -> list[tuple[str, str]]:
    """A slow, literal reading of the WHATWG algorithm over the whole body."""
    text = body.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    lines: list[str] = []
    i = 0
    start = 0
    complete_upto = 0
    while i < len(text):
        c = text[i]
        if c in "\r\n":
            lines.append(text[start:i])
            if c == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            start = i + 1
            complete_upto = start
        i += 1
    del complete_upto
    out: list[tuple[str, str]] = []
    data = ""
    event = ""
    has_data = False
    for line in lines:
        if line == "":
            if has_data:
                out.append((event, data[:-1] if data.endswith("\n") else data))
            data, event, has_data = "", "", False
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
            has_data = True
        elif name == "event":
            event = value
    return out


def test_basic_events_and_fields() -> None:
    body = (
        b": comment\n"
        b'event: message_start\ndata: {"a":1}\n\n'
        b"data: line one\ndata: line two\n\n"
        b"data:no space\n\n"
        b"data:  two spaces\n\n"
        b"id: 7\nretry: 1500\nunknown: x\ndata: after\n\n"
    )
    framer = SSEFramer()
    out = framer.feed(body)
    assert out == [
        ("message_start", '{"a":1}'),
        ("", "line one\nline two"),
        ("", "no space"),
        ("", " two spaces"),
        ("", "after"),
    ]
    assert framer.last_event_id == "7"
    assert framer.retry == 1500
    assert framer.comments == 1


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(newline: bytes) -> None:
    body = newline.join([b"event: e", b"data: x", b"", b"data: y", b"", b""])
    assert frames(body) == [("e", "x"), ("", "y")]


def test_cr_and_lf_split_across_chunks_is_one_line_end() -> None:
    assert frames(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n") == [("", "a"), ("", "b")]


def test_bom_is_dropped_even_when_split() -> None:
    body = b"\xef\xbb\xbfdata: x\n\n"
    for cut in range(len(body)):
        assert frames(body[:cut], body[cut:]) == [("", "x")], cut
    # only a leading BOM is special
    assert frames(b"data: \xef\xbb\xbfx\n\n") == [("", "\ufeffx")]


def test_event_without_data_is_not_dispatched() -> None:
    assert frames(b"event: ping\n\ndata: x\n\n") == [("", "x")]


def test_empty_data_line_dispatches_an_empty_event() -> None:
    assert frames(b"data\n\n", b"data:\n\n") == [("", ""), ("", "")]


def test_last_event_without_blank_line_is_dropped() -> None:
    assert frames(b"data: a\n\ndata: b\n") == [("", "a")]
    assert frames(b"data: a\n\ndata: b") == [("", "a")]


def test_utf8_character_split_across_chunks() -> None:
    body = "data: héllo 🌍 ✓\n\n".encode()
    for cut in range(len(body)):
        assert frames(body[:cut], body[cut:]) == [("", "héllo 🌍 ✓")]


def test_invalid_utf8_is_replaced() -> None:
    assert frames(b"data: \xff\n\n") == [("", "\ufffd")]


def test_endless_line_raises_too_large_with_bounded_buffer() -> None:
    framer = SSEFramer(max_event_bytes=1000)
    framer.feed(b"data: ")
    for _ in range(9):
        framer.feed(b"x" * 100)
    with pytest.raises(StreamTooLargeError):
        framer.feed(b"x" * 100)
    assert sum(len(p) for p in framer._partial) <= 1000


def test_event_of_many_lines_over_the_limit_raises() -> None:
    framer = SSEFramer(max_event_bytes=100)
    with pytest.raises(StreamTooLargeError):
        framer.feed(b"data: 0123456789\n" * 20)


def test_event_at_the_limit_is_accepted() -> None:
    line = b"data: " + b"x" * 94
    assert frames(line + b"\n\n", max_event_bytes=100) == [("", "x" * 94)]


def split_feed(body: bytes, cuts: list[int]) -> list[tuple[str, str]]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    return frames(*pieces)


_line = st.sampled_from(
    [
        b"data: x",
        b"data:y",
        b"data: \xc3\xa9\xf0\x9f\x8c\x8d",
        b"event: e",
        b": c",
        b"id: 1",
        b"data",
        b"",
        b"retry: 10",
        b"foo: bar",
    ]
)
_nl = st.sampled_from([b"\n", b"\r", b"\r\n"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_line, _nl), max_size=30),
    st.lists(st.integers(min_value=0, max_value=400), max_size=20),
    st.booleans(),
)
def test_matches_reference_for_any_stream_and_split(
    parts: list[tuple[bytes, bytes]], cuts: list[int], bom: bool
) -> None:
    body = (b"\xef\xbb\xbf" if bom else b"") + b"".join(a + b for a, b in parts)
    expected = reference(body)
    assert frames(body) == expected
    assert split_feed(body, cuts) == expected


sse_streams = [s for s in recorded_streams("openai_chat_sse")] + [
    s
    for fmt in ("anthropic_messages_sse", "openai_responses_sse", "gemini_sse")
    for s in recorded_streams(fmt)
]


@pytest.mark.skipif(not streams_available(), reason="../shared/streams is absent")
@pytest.mark.parametrize("stream", sse_streams, ids=[s.name for s in sse_streams])
def test_recorded_bodies_frame_identically_under_any_split(stream) -> None:  # type: ignore[no-untyped-def]
    body = stream.body
    whole = frames(body)
    assert whole == reference(body)
    assert whole, "a recorded SSE body has at least one event"
    assert frames(*[body[i : i + 1] for i in range(len(body))]) == whole
    rng = random.Random(stream.name)
    for _ in range(5):
        cuts = [rng.randrange(len(body)) for _ in range(rng.randrange(1, 40))]
        assert split_feed(body, cuts) == whole


_long_line = st.sampled_from(
    [
        b"data: x",
        b"data: " + b"z" * 900,
        b"data:" + b"w" * 1200,
        b"event: e",
        b": ping",
        b"id: 7",
        b"data",
        b"",
        b"",
        b"retry: 10",
        b"foo: bar",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_long_line, min_size=1, max_size=60),
    st.sampled_from([b"\n", b"\r\n"]),
    st.integers(min_value=0, max_value=40),
    st.lists(st.integers(min_value=0, max_value=20_000), max_size=6),
)
def test_large_reads_frame_like_the_reference(
    lines: list[bytes], newline: bytes, blank_run: int, cuts: list[int]
) -> None:
    # Reads over 2 KiB that start at an event and end with a blank line (LF only) are cut in
    # whole events; anything else takes the line loop. Both must agree with the reference.
    body = newline.join(lines) + newline * 2 + newline * blank_run + b"data: end" + newline * 2
    expected = reference(body)
    assert frames(body) == expected
    assert split_feed(body, cuts) == expected
    assert frames(*[body[i : i + 4096] for i in range(0, len(body), 4096)]) == expected


def test_a_large_read_of_mostly_blank_lines_is_collapsed_in_c() -> None:
    body = b"data: a\n\n" + b"\n" * 200_000 + b"data: b\n\n"
    assert frames(body) == [("", "a"), ("", "b")]
    framer = SSEFramer(max_event_bytes=10)
    with pytest.raises(StreamTooLargeError):
        framer.feed(b"data: 0123456789\n\n" + b"data: x\n\n" * 300)
