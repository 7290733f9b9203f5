"""The conformance kit accepts a port that keeps the contract and names the rule one breaks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from types import TracebackType

import pytest

from llmport import (
    AssistantMessage,
    Done,
    FinishReason,
    LlmError,
    LlmStreamEvent,
    OverloadedError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolDefinition,
    Usage,
    UserMessage,
)
from llmport.testing import (
    ContractViolation,
    ScriptedAdapter,
    ScriptedTurn,
    check_cancellation,
    check_port,
)

HI = [UserMessage("hi")]


async def test_a_scripted_port_conforms_for_text_tools_errors_and_cancellation() -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.text("hello there", chunk=3, usage=Usage(3, 2)),
            ScriptedTurn.tool_calls(("f", {"x": 1}), ("g", {})),
            ScriptedTurn.failing(OverloadedError("busy"), after=[TextDelta("par")]),
            ScriptedTurn(start_error=LlmError("refused", provider="scripted")),
            ScriptedTurn.text("a b c d", chunk=1),
        ]
    )
    text = await check_port(port, HI)
    assert text.done is not None
    assert text.done.message.text == "hello there"
    calls = await check_port(port, HI)
    assert calls.done is not None
    assert calls.done.finish_reason is FinishReason.TOOL_CALLS
    failed = await check_port(port, HI)
    assert isinstance(failed.error, OverloadedError)
    assert failed.text == "par"
    refused = await check_port(port, HI)
    assert refused.error is not None
    assert refused.events == []
    assert await check_cancellation(port, HI, after_events=2) == 2
    assert port.closed_streams == 4  # every started stream was closed


class FakeStream:
    """A hand-made stream that can break the rules on purpose."""

    def __init__(self, items: Sequence[LlmStreamEvent | BaseException]) -> None:
        self._items = list(items)

    def __aiter__(self) -> AsyncIterator[LlmStreamEvent]:
        return self

    async def __anext__(self) -> LlmStreamEvent:
        if not self._items:
            raise StopAsyncIteration
        item = self._items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    async def __aenter__(self) -> FakeStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def aclose(self) -> None:
        return None


class FakePort:
    def __init__(self, items: Sequence[LlmStreamEvent | BaseException]) -> None:
        self.items = items

    async def chat_stream(
        self, messages: Sequence[object], tools: Sequence[ToolDefinition]
    ) -> FakeStream:
        return FakeStream(self.items)


def done(text: str = "", reason: FinishReason = FinishReason.STOP, **kwargs: object) -> Done:
    return Done(reason, reason.value, None, AssistantMessage(text=text, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("items", "rule"),
    [
        ([TextDelta("a")], "exactly one terminal"),
        ([done(), TextDelta("late")], "nothing may follow Done"),
        ([TextDelta("a"), done("b")], "equals the concatenated TextDeltas"),
        ([TextDelta("a"), LlmError("x", provider="p")], "after_output must be True"),
        ([LlmError("x")], "provider is set"),
        (
            [
                ToolCallDelta(0, "c", "f", "{}"),
                done(tool_calls=(ToolCall("c", "f", {}),)),
            ],
            "promoted to TOOL_CALLS",
        ),
        ([ToolCallDelta(0, "c", "f", "{}"), done()], "exactly when ToolCallDeltas"),
        (["not an event"], "not an LlmStreamEvent"),
        ([ValueError("Expecting value")], "only LlmError.*ValueError: Expecting value"),
        ([TextDelta("a"), KeyError("choices")], "only LlmError.*KeyError"),
    ],
)
async def test_each_broken_rule_is_named(
    items: list[LlmStreamEvent | BaseException], rule: str
) -> None:
    with pytest.raises(ContractViolation, match=rule):
        await check_port(FakePort(items), HI)  # type: ignore[arg-type]


class RawErrorPort:
    """A port whose request fails with a library's own exception instead of an LlmError."""

    async def chat_stream(
        self, messages: Sequence[object], tools: Sequence[ToolDefinition]
    ) -> FakeStream:
        raise ConnectionResetError("peer reset")


async def test_a_request_failing_with_a_raw_exception_is_a_violation() -> None:
    with pytest.raises(ContractViolation, match="only LlmError.*ConnectionResetError"):
        await check_port(RawErrorPort(), HI)  # type: ignore[arg-type]


async def test_an_error_after_aclose_is_a_violation() -> None:
    # FakeStream.aclose() does nothing: the stream goes on and then fails.
    port = FakePort([TextDelta("a"), LlmError("late", provider="p")])
    with pytest.raises(ContractViolation, match="after aclose"):
        await check_cancellation(port, HI, after_events=1)  # type: ignore[arg-type]
