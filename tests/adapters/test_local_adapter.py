"""``LocalLlamaAdapter`` on the real SmolLM2-135M: the contract, tool calls, cancellation.

Generation is greedy (temperature 0), so every answer here is deterministic. The model is
loaded once per process and shared; token budgets stay small.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from llmport import (
    Agent,
    BadRequestError,
    ContextLengthExceededError,
    Done,
    FinishReason,
    RunFinished,
    TextDelta,
    ToolCallDelta,
    ToolCallFinished,
    ToolMessage,
    UserMessage,
    tool,
)
from llmport.adapters.local import LocalLlamaAdapter
from llmport.testing import check_cancellation, check_port
from tests.adapters.local_model_support import requires_local_model

pytestmark = [requires_local_model, pytest.mark.slow]


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: the expression, e.g. 2 * (3 + 4)
    """
    from llmport.cli.builtin_tools import calculate

    return calculate(expression)


@tool
def convert(value: int, unit: str, precise: bool = False) -> str:
    """Convert a length.

    Args:
        value: the length
        unit: the unit
        precise: keep decimals
    """
    return f"{value} {unit}"


def port(**options: object) -> LocalLlamaAdapter:
    return LocalLlamaAdapter(**({"max_tokens": 48} | options))  # type: ignore[arg-type]


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "llmport-local" and t.is_alive()]


async def wait_no_generation(within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while generation_threads() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not generation_threads(), "a generation thread is still running"


# --- the contract ------------------------------------------------------------------------------


async def test_a_plain_answer_keeps_the_contract() -> None:
    outcome = await check_port(port(), [UserMessage("Hello! Who are you?")])
    assert outcome.done is not None
    assert outcome.done.finish_reason is FinishReason.STOP
    assert outcome.text.strip()
    usage = outcome.done.usage
    assert usage is not None
    assert usage.input_tokens > 10
    assert 0 < usage.output_tokens <= 48
    await wait_no_generation()


async def test_the_token_budget_ends_with_length() -> None:
    outcome = await check_port(port(max_tokens=3), [UserMessage("Write a long story.")])
    assert outcome.done is not None
    assert outcome.done.finish_reason is FinishReason.LENGTH
    assert outcome.done.raw_finish_reason == "length"
    assert outcome.done.usage is not None
    assert outcome.done.usage.output_tokens == 3


async def test_a_forced_tool_call_streams_arguments_that_validate() -> None:
    outcome = await check_port(
        port(tool_choice="calculator"),
        [UserMessage("What is 17 * 23?")],
        [calculator.definition],
    )
    done = outcome.done
    assert done is not None
    assert done.finish_reason is FinishReason.TOOL_CALLS
    deltas = outcome.tool_call_deltas
    assert deltas[0].name == "calculator" and deltas[0].id
    assert len(deltas) > 2  # the arguments arrive as fragments
    (call,) = done.message.tool_calls
    assert call.complete
    assert json.loads("".join(d.arguments for d in deltas)) == call.arguments
    calculator.validate(call.arguments)


async def test_required_choice_picks_an_offered_tool_and_typed_arguments() -> None:
    outcome = await check_port(
        port(tool_choice="required"),
        [UserMessage("Convert 12 inches.")],
        [convert.definition, calculator.definition],
    )
    assert outcome.done is not None
    (call,) = outcome.done.message.tool_calls
    assert call.name in {"convert", "calculator"}
    validated = (convert if call.name == "convert" else calculator).validate(call.arguments)
    if call.name == "convert":
        assert isinstance(validated["value"], int)


async def test_no_tools_and_choice_none_answer_in_words() -> None:
    for adapter, tools in ((port(), []), (port(tool_choice="none"), [calculator.definition])):
        outcome = await check_port(adapter, [UserMessage("What is 17 * 23?")], tools)
        assert outcome.done is not None
        assert not outcome.tool_call_deltas
        assert outcome.done.finish_reason in {FinishReason.STOP, FinishReason.LENGTH}


async def test_a_tool_call_cut_by_the_budget_is_incomplete() -> None:
    outcome = await check_port(
        port(tool_choice="calculator", max_tokens=4),
        [UserMessage("What is 17 * 23?")],
        [calculator.definition],
    )
    assert outcome.done is not None
    assert outcome.done.finish_reason is FinishReason.LENGTH
    (call,) = outcome.done.message.tool_calls
    assert not call.complete


# --- automatic tool choice ---------------------------------------------------------------------


async def test_automatic_choice_calls_the_calculator_and_the_agent_finishes() -> None:
    adapter = port()
    outcome = await check_port(adapter, [UserMessage("What is 17 * 23?")], [calculator.definition])
    assert outcome.done is not None
    assert outcome.done.finish_reason is FinishReason.TOOL_CALLS
    (call,) = outcome.done.message.tool_calls
    assert call.name == "calculator"
    calculator.validate(call.arguments)  # raises if the arguments do not fit the schema

    agent = Agent(adapter, tools=[calculator], max_turns=4)
    events = []
    async with agent.stream("What is 17 * 23?") as stream:
        async for event in stream:
            events.append(event)
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert finished and not finished[0].result.is_error
    result = events[-1]
    assert isinstance(result, RunFinished)
    assert result.result.finish_reason is FinishReason.STOP
    assert result.result.turns == 2
    assert any(isinstance(m, ToolMessage) for m in result.result.transcript)
    assert result.result.text.strip()


async def test_automatic_choice_answers_a_greeting_in_words() -> None:
    outcome = await check_port(
        port(), [UserMessage("Hello! Who are you?")], [calculator.definition]
    )
    assert outcome.done is not None
    assert not outcome.done.message.tool_calls
    assert outcome.done.finish_reason is FinishReason.STOP
    assert outcome.text.strip()


# --- cancellation ------------------------------------------------------------------------------


async def test_cancelling_mid_generation_stops_the_worker() -> None:
    stream = await port(max_tokens=400).chat_stream(
        [UserMessage("Write a very long story about the sea.")], []
    )
    seen: list[object] = []

    async def consume() -> None:
        async for event in stream:
            seen.append(event)

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    assert generation_threads()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_no_generation(within=2.0)
    assert not any(isinstance(e, Done) for e in seen)


async def test_closing_the_stream_mid_tool_call_stops_the_worker() -> None:
    read = await check_cancellation(
        port(tool_choice="calculator", max_tokens=200),
        [UserMessage("What is 17 * 23?")],
        [calculator.definition],
        after_events=2,
    )
    assert read == 2
    await wait_no_generation()


async def test_concurrent_streams_take_turns_on_the_one_model() -> None:
    adapter = port(max_tokens=12)

    async def one(question: str) -> str:
        outcome = await check_port(adapter, [UserMessage(question)])
        assert outcome.done is not None
        return outcome.text

    answers = await asyncio.gather(one("Hi!"), one("Name a colour."), one("Say yes."))
    assert all(isinstance(a, str) for a in answers)
    await wait_no_generation()


# --- bad requests ------------------------------------------------------------------------------


async def test_a_prompt_longer_than_the_context_is_refused_before_streaming() -> None:
    with pytest.raises(ContextLengthExceededError) as caught:
        await port(n_ctx=256).chat_stream([UserMessage("word " * 400)], [])
    assert caught.value.provider == "local"
    assert not caught.value.after_output


async def test_tool_choice_must_name_an_offered_tool() -> None:
    with pytest.raises(BadRequestError, match="not among the offered tools"):
        await port(tool_choice="nope").chat_stream([UserMessage("hi")], [calculator.definition])
    with pytest.raises(BadRequestError, match="no tools"):
        await port(tool_choice="required").chat_stream([UserMessage("hi")], [])


async def test_text_deltas_rebuild_the_message_exactly() -> None:
    stream = await port(max_tokens=30).chat_stream([UserMessage("Count to five.")], [])
    texts: list[str] = []
    done: Done | None = None
    async with stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                texts.append(event.text)
            elif isinstance(event, Done):
                done = event
            else:
                assert not isinstance(event, ToolCallDelta)
    assert done is not None
    assert "".join(texts) == done.message.text


async def test_a_llama_cpp_failure_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmport import ServerError
    from llmport.adapters.local import engine

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("llama_decode returned -1")

    monkeypatch.setattr(engine._Turn, "answer", broken)
    outcome = await check_port(port(), [UserMessage("Hi")])
    assert isinstance(outcome.error, ServerError)
    assert "llama.cpp failed" in str(outcome.error)
    assert outcome.error.retryable is False
    await wait_no_generation()
