"""The shell's settings: the base URL check, time limits."""

from __future__ import annotations

import pytest

from llmport.core.http_settings import Timeouts, check_base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1",
        "http://127.0.0.1:8080/v1/",
        "http://[::1]:11434",
        "https://example.com:443",
    ],
)
def test_good_base_urls_pass_without_their_trailing_slash(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/v1", "http"),
        ("https://user:pw@host", "credentials"),
        ("https://host/v1?key=x", "query"),
        ("https://host/v1#frag", "query"),
        # These passed the check and failed at the first request, outside the LlmError taxonomy
        # (a bare ExceptionGroup for the port, httpx.InvalidURL for the control character).
        ("http://localhost:99999/v1", "port"),
        ("http://localhost:0x50/v1", "port"),
        ("http://local\x00host/v1", "space or control"),
        ("http://exa mple.com/v1", "space or control"),
        ("http://example.com/v 1", "space or control"),
        ("http://example.com/v1\n", "space or control"),
    ],
)
def test_bad_base_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_base_url(url)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Timeouts(idle=0)
    with pytest.raises(ValueError):
        Timeouts(deadline=-1)
