"""``invoke_agent`` and ``execute_tool`` spans around an agent run, from outside the loop.

``instrument(agent)`` returns an ``InstrumentedAgent``: a copy of the agent whose port and tools
are instrumented and whose runs are ``invoke_agent`` spans. The run's span is made the current
one while the agent's loop runs (around each step of its event stream), so the ``chat`` spans
of its turns and the ``execute_tool`` spans of its tools (which run in tasks that copy the
context) are its children. The loop itself knows nothing of OpenTelemetry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llmport.agent.errors import AgentError
from llmport.agent.events import AgentEvent, RunFinished
from llmport.agent.loop import Agent, AgentRun, Prompt
from llmport.domain.messages import ToolCall, ToolMessage
from llmport.domain.redaction import redact
from llmport.domain.tools import ToolDefinition
from llmport.otel import attributes as attr
from llmport.otel.port import InstrumentedPort
from llmport.otel.telemetry import Telemetry
from llmport.ports import LlmCompletionPort, ToolExecutorPort

__all__ = ["InstrumentedAgent", "InstrumentedTools", "instrument"]


class InstrumentedTools:
    """A ``ToolExecutorPort`` whose every call is an ``execute_tool {name}`` span."""

    def __init__(self, tools: ToolExecutorPort, telemetry: Telemetry | None = None) -> None:
        self.tools = tools
        self.telemetry = telemetry or Telemetry()
        self._descriptions: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        if name in ("tools", "_descriptions"):  # not set yet (a copy in progress)
            raise AttributeError(name)
        return getattr(self.tools, name)

    def list_tools(self) -> Sequence[ToolDefinition]:
        definitions = self.tools.list_tools()
        self._descriptions = {d.name: d.description for d in definitions}
        return definitions

    async def execute(self, call: ToolCall) -> ToolMessage:
        telemetry = self.telemetry
        if not telemetry.active:
            return await self.tools.execute(call)
        values: dict[str, Any] = {
            attr.OPERATION: "execute_tool",
            attr.TOOL_NAME: call.name,
            attr.TOOL_CALL_ID: call.id,
            attr.TOOL_TYPE: "function",
        }
        description = self._descriptions.get(call.name)
        if description:
            values[attr.TOOL_DESCRIPTION] = description
        if telemetry.capture_content:
            values[attr.TOOL_ARGUMENTS] = attr.arguments_json(call.arguments)
        with telemetry.tracer.start_as_current_span(
            f"execute_tool {call.name}",
            kind=SpanKind.INTERNAL,
            attributes=values,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                result = await self.tools.execute(call)
            except asyncio.CancelledError:
                span.set_attribute("llmport.cancelled", True)
                raise
            except Exception as error:
                span.set_attribute(attr.ERROR_TYPE, type(error).__name__)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            if result.is_error:
                span.set_attribute(attr.ERROR_TYPE, "tool_error")
                span.set_status(Status(StatusCode.ERROR, "the tool returned an error result"))
            if telemetry.capture_content:
                span.set_attribute(attr.TOOL_RESULT, redact(result.content))
            return result


class _TracedRun(AgentRun):
    """The run's events, each step taken with the ``invoke_agent`` span as the current one."""

    def __init__(self, run: AgentRun, agent: InstrumentedAgent) -> None:
        super().__init__(run)
        self._agent = agent
        self._span: Span | None = None
        self._context: otel_context.Context | None = None
        self._ended = False

    def _start(self) -> None:
        agent = self._agent
        port = agent.port
        values: dict[str, Any] = {
            attr.OPERATION: "invoke_agent",
            attr.AGENT_NAME: agent.agent_name,
        }
        if isinstance(port, InstrumentedPort):
            values[attr.PROVIDER] = port.provider_name
            if port.request_model:
                values[attr.REQUEST_MODEL] = port.request_model
        self._span = agent.telemetry.tracer.start_span(
            f"invoke_agent {agent.agent_name}", kind=SpanKind.INTERNAL, attributes=values
        )
        self._context = trace.set_span_in_context(self._span)

    async def __anext__(self) -> AgentEvent:
        if self._span is None and not self._ended:
            if not self._agent.telemetry.active:
                self._ended = True  # nothing configured: run untraced
            else:
                self._start()
        if self._context is None:
            return await super().__anext__()
        token = otel_context.attach(self._context)
        try:
            event = await super().__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except AgentError as error:
            self._end(error)
            raise
        except BaseException as error:
            self._end(error, cancelled=isinstance(error, asyncio.CancelledError))
            raise
        finally:
            otel_context.detach(token)
        if isinstance(event, RunFinished):
            result = event.result
            if self._span is not None and self._span.is_recording():
                self._span.set_attributes(
                    {
                        attr.INPUT_TOKENS: result.usage.input_tokens,
                        attr.OUTPUT_TOKENS: result.usage.output_tokens,
                        attr.FINISH_REASONS: [attr.finish_reason(result.finish_reason)],
                        "llmport.turns": result.turns,
                    }
                )
            self._end()
        return event

    def _end(self, error: BaseException | None = None, *, cancelled: bool = False) -> None:
        span, self._span, self._context = self._span, None, None
        self._ended = True
        if span is None:
            return
        if cancelled:
            span.set_attribute("llmport.cancelled", True)
        elif error is not None:
            cause = error.__cause__ if isinstance(error, AgentError) else None
            span.set_attribute(attr.ERROR_TYPE, type(error).__name__)
            if cause is not None:
                span.set_attribute("llmport.error.cause", type(cause).__name__)
            if isinstance(error, AgentError):
                span.set_attributes(
                    {
                        attr.INPUT_TOKENS: error.usage.input_tokens,
                        attr.OUTPUT_TOKENS: error.usage.output_tokens,
                        "llmport.turns": error.turns,
                    }
                )
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if not self._ended:
                self._end(cancelled=True)


class InstrumentedAgent(Agent):
    """An ``Agent`` whose runs are ``invoke_agent`` spans (made by ``instrument(agent)``)."""

    telemetry: Telemetry
    agent_name: str

    @classmethod
    def of(
        cls, agent: Agent, telemetry: Telemetry, *, name: str | None = None
    ) -> InstrumentedAgent:
        """A copy of ``agent`` with its port and tools instrumented."""
        new = cls.__new__(cls)
        new.__dict__.update(vars(agent))
        new.telemetry = telemetry
        new.agent_name = name or "llmport"
        if not isinstance(new.port, InstrumentedPort):
            new.port = InstrumentedPort(agent.port, telemetry)
        if not isinstance(new.tools, InstrumentedTools):
            new.tools = InstrumentedTools(agent.tools, telemetry)
        return new

    def stream(self, prompt: Prompt) -> AgentRun:
        return _TracedRun(super().stream(prompt), self)


@overload
def instrument(
    target: Agent,
    *,
    tracer_provider: Any = ...,
    meter_provider: Any = ...,
    capture_content: bool | None = ...,
    agent_name: str | None = ...,
    telemetry: Telemetry | None = ...,
) -> InstrumentedAgent: ...


@overload
def instrument(
    target: LlmCompletionPort,
    *,
    tracer_provider: Any = ...,
    meter_provider: Any = ...,
    capture_content: bool | None = ...,
    agent_name: str | None = ...,
    telemetry: Telemetry | None = ...,
) -> InstrumentedPort: ...


@overload
def instrument(
    target: ToolExecutorPort,
    *,
    tracer_provider: Any = ...,
    meter_provider: Any = ...,
    capture_content: bool | None = ...,
    agent_name: str | None = ...,
    telemetry: Telemetry | None = ...,
) -> InstrumentedTools: ...


def instrument(
    target: Agent | LlmCompletionPort | ToolExecutorPort,
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    capture_content: bool | None = None,
    agent_name: str | None = None,
    telemetry: Telemetry | None = None,
) -> InstrumentedAgent | InstrumentedPort | InstrumentedTools:
    """Instrument an ``Agent``, a model port or a tool executor (providers: None = global)."""
    if telemetry is None:
        telemetry = Telemetry(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            capture_content=capture_content,
        )
    if isinstance(target, Agent):
        return InstrumentedAgent.of(target, telemetry, name=agent_name)
    if isinstance(target, LlmCompletionPort):
        return InstrumentedPort(target, telemetry)
    if isinstance(target, ToolExecutorPort):
        return InstrumentedTools(target, telemetry)
    raise TypeError(
        f"instrument() takes an Agent, a model port or a tool executor, not {type(target).__name__}"
    )


def instrument_connect(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    capture_content: bool | None = None,
) -> Callable[[], None]:
    """Instrument every port that ``llmport.connect`` builds from now on (the CLI's, and any
    program's that connects by model string), as OpenTelemetry instrumentors do for a library:
    one call at start-up. Returns the function that stops it for ports built later."""
    from llmport.connect import add_port_hook  # the top-level package, below the integrations

    telemetry = Telemetry(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=capture_content,
    )
    return add_port_hook(lambda port: InstrumentedPort(port, telemetry))
