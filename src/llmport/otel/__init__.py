"""OpenTelemetry GenAI telemetry for llmport (extra ``otel``, on ``opentelemetry-api`` only).

::

    from llmport import otel

    port = otel.instrument(connect("openai:gpt-4o"))        # a span per chat_stream
    agent = otel.instrument(Agent(port, tools=[...]))        # + invoke_agent, execute_tool
    otel.instrument_connect()                                # every port connect() builds

Spans and metrics follow the GenAI semantic conventions (``chat {model}``,
``invoke_agent {name}``, ``execute_tool {tool}``; ``gen_ai.client.operation.duration``,
``gen_ai.client.token.usage``, ``gen_ai.client.operation.time_to_first_chunk``). They go to
the tracer and meter providers you configure with the OpenTelemetry SDK (or pass in); while
none is configured, an instrumented port hands out the adapter's own stream untouched, so the
per-event cost is the uninstrumented one. Message contents are recorded only when asked:
``capture_content=True`` or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``; even
then every registered secret is masked.

Nothing here is imported by ``import llmport``, and neither the agent loop nor the core knows
about it: instrumentation wraps the ports from the outside.
"""

import importlib.util as _util

if _util.find_spec("opentelemetry") is None:
    raise ImportError("llmport.otel needs the 'otel' extra: pip install 'llmport[otel]'")

from llmport.otel.agent import (
    InstrumentedAgent,
    InstrumentedTools,
    instrument,
    instrument_connect,
)
from llmport.otel.port import InstrumentedPort
from llmport.otel.telemetry import Telemetry

__all__ = [
    "InstrumentedAgent",
    "InstrumentedPort",
    "InstrumentedTools",
    "Telemetry",
    "instrument",
    "instrument_connect",
]
