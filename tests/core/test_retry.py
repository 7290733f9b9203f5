"""``parse_retry_after``: what a server's wait means, and nonsense ignored (RELIABILITY; a
hostile server sent ``Retry-After: inf``)."""

from __future__ import annotations

import pytest

from llmport.core.retry import MAX_REPORTED_RETRY_AFTER, parse_retry_after
from llmport.domain.errors import RateLimitError
from tests.support.fake_server import FakeServer, Reply


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "1e308"}, MAX_REPORTED_RETRY_AFTER),
        ({"retry-after-ms": "inf", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "NaN"}, None),
        ({"retry-after-ms": "-1", "retry-after": "inf"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_values(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


@pytest.mark.parametrize("value", ["inf", "NaN", "-3", "1e999"])
async def test_a_nonsense_retry_after_on_a_real_server_is_ignored(value: str) -> None:
    from llmport.adapters.openai_chat import OpenAIChatAdapter

    async with FakeServer() as server:
        server.add(
            Reply(status=429, headers={"retry-after": value, "content-type": "application/json"},
                  body=[b'{"error": {"type": "rate_limit_error", "message": "slow down"}}'])
        )  # fmt: skip
        async with OpenAIChatAdapter("m", base_url=server.url, max_retries=0) as port:
            with pytest.raises(RateLimitError) as caught:
                await port.chat_stream([], [])
    wait = caught.value.retry_after
    assert wait is None or (0 <= wait <= MAX_REPORTED_RETRY_AFTER)
