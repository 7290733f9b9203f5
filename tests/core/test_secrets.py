"""Keeping keys out of reprs, logs and error messages: the secrets module itself."""

from __future__ import annotations

import logging

import pytest

from llmport.core.secrets import Secret, install_log_redaction, redact_headers, scrub

SENTINEL = "sk-SENTINEL-secrets-0123456789"


@pytest.mark.parametrize(
    "logger_name",
    [
        "llmport.http",
        "httpx",
        "httpcore.http11",
        "httpcore.connection",
        "httpcore.socks",  # a SOCKS proxy connection
        "hpack.hpack",  # HTTP/2 (http2=True client): logs every request's headers at DEBUG
        "hpack.table",
        "httpx2",  # the default transport and its httpcore2
        "httpcore2.http11",
        "httpcore2.connection",
        "httpcore2.http2",
        "httpcore2.proxy",
        "aiohttp.client",  # the aiohttp transport
        "aiohttp.internal",
    ],
)
def test_debug_logs_of_every_http_logger_are_scrubbed(
    logger_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = Secret(f"Bearer {SENTINEL}")
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    headers = [(b"authorization", f"Bearer {SENTINEL}".encode()), (b"x-api-key", SENTINEL)]
    logging.getLogger(logger_name).debug("HPACK encoding %s", headers)
    assert caplog.records
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
    assert secret.reveal().endswith(SENTINEL)  # still alive while logging


def test_a_secret_equal_to_one_that_died_is_still_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import gc

    first = Secret(f"Bearer {SENTINEL}")
    second = Secret(f"Bearer {SENTINEL}")  # equal by value, another object (a new adapter)
    del first
    gc.collect()
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("llmport.http").debug("headers %s", {"authorization": f"Bearer {SENTINEL}"})
    assert caplog.records
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
    assert second.reveal().endswith(SENTINEL)


def test_scrub_and_redact_headers() -> None:
    secret = Secret(f"Bearer {SENTINEL}")
    assert SENTINEL not in scrub(f"echo: {SENTINEL} and Bearer {SENTINEL}", [secret])
    masked = redact_headers({"Authorization": "Bearer x", "X-Goog-Api-Key": "y", "a": "b"})
    assert masked == {"Authorization": "***", "X-Goog-Api-Key": "***", "a": "b"}
