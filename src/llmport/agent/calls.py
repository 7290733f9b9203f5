"""One tool call to one result, whatever happens: the rules the loop and the durable steps share.

``execute_call`` asks ``approve`` (when given), runs the call under ``tool_timeout``, caps
the output and scrubs every registered secret from it (see ``domain.redaction``). Every
failure (a denial, a timeout, an executor that raises) is a short error result for the model,
never an exception; only cancelling the task that runs it propagates. It is a plain function
of its inputs, so a durable engine can run it as a step on any worker and get the same result
the loop would.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from llmport.agent.output import cap
from llmport.agent.tools import cancelling, error_result, short_error, timeout_text
from llmport.domain.messages import ToolCall, ToolMessage
from llmport.domain.redaction import redact
from llmport.ports import ToolExecutorPort

__all__ = ["Approver", "execute_call"]

Approver: TypeAlias = Callable[[ToolCall], bool | Awaitable[bool]]


async def execute_call(
    tools: ToolExecutorPort,
    call: ToolCall,
    *,
    tool_timeout: float | None,
    approve: Approver | None = None,
) -> ToolMessage:
    """The result that answers ``call`` (its id and name), secrets scrubbed."""
    result = await _execute_raw(tools, call, tool_timeout, approve)
    clean = redact(result.content)
    if clean is result.content:
        return result
    return ToolMessage(result.tool_call_id, clean, result.is_error, result.name)


async def _execute_raw(
    tools: ToolExecutorPort, call: ToolCall, tool_timeout: float | None, approve: Approver | None
) -> ToolMessage:
    scope: asyncio.Timeout | None = None
    try:
        if approve is not None:
            verdict = approve(call)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if not verdict:
                return error_result(call, f"the call to {call.name!r} was not approved")
        scope = asyncio.timeout(tool_timeout)
        async with scope:
            result = await tools.execute(call)
    except TimeoutError as error:
        if scope is None or not scope.expired():  # raised by the executor itself
            return error_result(call, short_error(error))
        return error_result(call, timeout_text(call, tool_timeout))
    except asyncio.CancelledError as error:
        if cancelling():  # the run is being cancelled: so are its tools
            raise
        return error_result(call, short_error(error))  # not cancelled: it would hang the batch
    except Exception as error:  # an executor that breaks its own contract
        return error_result(call, short_error(error))
    # Whatever id and name the executor put on it, the result answers this call.
    return ToolMessage(call.id, cap(result.content), result.is_error, call.name)
