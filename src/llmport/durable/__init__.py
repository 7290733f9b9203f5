"""The agent's step boundaries, engine-neutral: what a durable engine checkpoints.

An agent run is a sequence of exactly two kinds of step, started in call order:

- a **model turn**: model string + options + messages + tool definitions in, the turn's
  ``Done`` out, both as JSON (``steps.model_turn_step``);
- a **tool call**: a ``ToolCall`` in, its ``ToolMessage`` out, as JSON (``steps.tool_call_step``),
  run under the idempotency key ``(run_id, turn, call_id)`` that a tool can read with
  ``idempotency_key()``.

Models and tools are named in a payload, never sent: the worker rebuilds them from its own
environment (``connect(model)``, its own tool registry), so keys never enter a payload, a
checkpoint or a log. ``run.drive`` is the loop over those steps; an engine supplies a
``StepRunner`` (DBOS in ``llmport.dbos``; ``InProcessSteps`` runs them directly). Retries live in
one layer: an engine retries a step only when ``should_retry`` says so (a ``retryable``
``LlmError``). No engine is imported here.
"""

from llmport.durable.codec import outcome_from_json, outcome_to_json
from llmport.durable.keys import StepKey, idempotency_key
from llmport.durable.run import InProcessSteps, RunSpec, StepRunner, drive
from llmport.durable.steps import (
    ModelTurn,
    complete,
    model_turn_step,
    should_retry,
    tool_call_step,
)

__all__ = [
    "InProcessSteps",
    "ModelTurn",
    "RunSpec",
    "StepKey",
    "StepRunner",
    "complete",
    "drive",
    "idempotency_key",
    "model_turn_step",
    "outcome_from_json",
    "outcome_to_json",
    "should_retry",
    "tool_call_step",
]
