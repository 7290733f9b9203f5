"""``Telemetry``: the tracer, the three GenAI histograms and the content switch, made once.

Whether anything is configured is decided per call, cheaply: with the global providers still
the API's proxies (no SDK installed or set up) and none passed in, ``active`` is False and the
instrumented port stays out of the stream's way. Once a global provider is set it cannot be
unset, so a True answer is remembered.
"""

from __future__ import annotations

import os
from typing import Any, Final

from opentelemetry import metrics, trace

try:  # the API's "nothing configured yet" meter provider has no public name
    from opentelemetry.metrics._internal import _ProxyMeterProvider as _ProxyMeter
except ImportError:  # pragma: no cover - a future API without it: assume configured
    _ProxyMeter = ()  # type: ignore[assignment,misc]

__all__ = ["CAPTURE_ENV", "Telemetry"]

CAPTURE_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SCOPE: Final = "llmport"

# Bucket boundaries the GenAI semantic conventions advise.
_SECONDS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
_TOKENS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmport")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


class Telemetry:
    """Where llmport's spans and metrics go (``None``: the global providers)."""

    def __init__(
        self,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        capture_content: bool | None = None,
    ) -> None:
        self._explicit = tracer_provider is not None or meter_provider is not None
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._configured = self._explicit
        if capture_content is None:
            capture_content = os.environ.get(CAPTURE_ENV, "").strip().lower() in ("1", "true")
        self.capture_content = capture_content
        version = _version()
        self.tracer = trace.get_tracer(_SCOPE, version, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, version, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=list(_SECONDS),
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=list(_TOKENS),
        )
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time from the request to the first chunk of the response",
            explicit_bucket_boundaries_advisory=list(_SECONDS),
        )

    @property
    def active(self) -> bool:
        """Whether a tracer or meter provider is configured (explicitly or globally)."""
        if self._configured:
            return True
        configured = not isinstance(
            trace.get_tracer_provider(), trace.ProxyTracerProvider
        ) or not isinstance(metrics.get_meter_provider(), _ProxyMeter)
        if configured:
            self._configured = True
        return configured

    def __repr__(self) -> str:
        where = "explicit providers" if self._explicit else "global providers"
        return f"Telemetry({where}, capture_content={self.capture_content})"
