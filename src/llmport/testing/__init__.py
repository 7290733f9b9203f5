"""The conformance kit for adapter authors, and helpers for scripted tests.

``check_port`` / ``check_stream`` / ``check_cancellation`` assert the stream contract of
``llmport.ports`` on any port; ``ScriptedAdapter`` and ``ScriptedTurn`` script a model.
"""

from llmport.adapters.scripted import ScriptedAdapter, ScriptedCall, ScriptedTurn
from llmport.testing.contract import (
    ContractViolation,
    StreamOutcome,
    check_cancellation,
    check_port,
    check_stream,
)

__all__ = [
    "ContractViolation",
    "ScriptedAdapter",
    "ScriptedCall",
    "ScriptedTurn",
    "StreamOutcome",
    "check_cancellation",
    "check_port",
    "check_stream",
]
