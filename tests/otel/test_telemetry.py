"""``Telemetry``: when it counts as configured, and the content switch."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK is not installed")

from llmport.otel import Telemetry
from tests.otel.support import pipeline


def test_explicit_providers_are_active_and_capture_is_off_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    otel = pipeline()
    telemetry = Telemetry(tracer_provider=otel.tracer_provider)
    assert telemetry.active
    assert telemetry.capture_content is False
    assert "explicit" in repr(telemetry)


CASES = [("true", True), ("1", True), ("TRUE", True), ("false", False), ("", False), ("yes", False)]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_the_capture_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", value)
    assert Telemetry(meter_provider=pipeline().meter_provider).capture_content is expected
    assert Telemetry(meter_provider=pipeline().meter_provider, capture_content=True).capture_content
