"""The two step kinds as JSON functions: codecs, errors, retry verdicts, the idempotency key."""

from __future__ import annotations

import json

import pytest

from llmport import (
    AssistantMessage,
    BadRequestError,
    CallOptions,
    Done,
    FinishReason,
    LlmError,
    RateLimitError,
    StreamTruncatedError,
    SystemMessage,
    ToolCall,
    ToolDefinition,
    ToolMessage,
    Usage,
    UserMessage,
    tool,
)
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn
from llmport.agent.tools import ToolRegistry
from llmport.domain.events import TextDelta
from llmport.durable import (
    ModelTurn,
    StepKey,
    idempotency_key,
    model_turn_step,
    should_retry,
    tool_call_step,
)


def test_a_model_turn_survives_json_exactly() -> None:
    turn = ModelTurn(
        "openai:gpt-x",
        (SystemMessage("be brief"), UserMessage("hi")),
        (ToolDefinition("add", "Add.", {"type": "object", "properties": {}}),),
        CallOptions(temperature=0.2, stop=("END",)),
    )
    assert ModelTurn.from_json(turn.to_json()) == turn
    assert ModelTurn.from_json(ModelTurn("m", ()).to_json()) == ModelTurn("m", ())


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[]", "JSON object"),
        ('{"messages": []}', "model string"),
        ('{"model": "m", "messages": {}}', "JSON lists"),
        ('{"model": "m", "messages": [], "options": {"nope": 1}}', "unknown call option"),
    ],
)
def test_a_bad_model_turn_payload_is_a_clear_error(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        ModelTurn.from_json(text)


async def test_a_model_turn_step_returns_the_done_as_json() -> None:
    port = ScriptedAdapter([ScriptedTurn.text("hello", usage=Usage(3, 1))])
    seen: list[str] = []

    def resolve(model: str) -> ScriptedAdapter:
        seen.append(model)
        return port

    payload = ModelTurn("scripted:x", (UserMessage("hi"),), options=CallOptions(seed=1))
    done = Done.from_dict(json.loads(await model_turn_step(payload.to_json(), resolve)))
    assert seen == ["scripted:x"]
    assert done.message == AssistantMessage("hello")
    assert done.usage == Usage(3, 1)
    assert done.finish_reason is FinishReason.STOP
    assert port.calls[0].options == CallOptions(seed=1)
    assert port.calls[0].messages == (UserMessage("hi"),)


async def test_a_failing_turn_raises_its_typed_error_and_only_retryable_ones_are_retried() -> None:
    limited = RateLimitError("slow down", provider="scripted")
    port = ScriptedAdapter([ScriptedTurn.failing(limited, after=[TextDelta("partial")])])
    with pytest.raises(RateLimitError) as caught:
        await model_turn_step(ModelTurn("s", (UserMessage("hi"),)).to_json(), lambda _: port)
    assert should_retry(caught.value) is True
    assert should_retry(LlmError("bad request", retryable=False)) is False
    assert should_retry(StreamTruncatedError("cut")) is True  # truncated: try the turn again
    assert should_retry(BadRequestError("no")) is False
    assert should_retry(ValueError("not an LlmError")) is False


class BrokenPort:
    async def chat_stream(self, *args: object, **kwargs: object) -> object:
        raise KeyError("oops")


async def test_a_port_that_breaks_the_contract_becomes_a_non_retryable_llm_error() -> None:
    with pytest.raises(LlmError, match="broke its contract: KeyError") as caught:
        await model_turn_step(ModelTurn("s", ()).to_json(), lambda _: BrokenPort())  # type: ignore[arg-type,return-value]
    assert should_retry(caught.value) is False


async def test_a_tool_call_step_runs_the_call_under_its_idempotency_key() -> None:
    keys: list[StepKey | None] = []

    @tool
    def charge(amount: int) -> str:
        """Charge an amount."""
        keys.append(idempotency_key())
        return f"charged {amount}"

    call = ToolCall("call_7", "charge", {"amount": 5})
    key = StepKey("run-9", 2, "call_7")
    out = await tool_call_step(json.dumps(call.to_dict()), key, ToolRegistry([charge]))
    assert ToolMessage.from_dict(json.loads(out)) == ToolMessage(
        "call_7", "charged 5", False, "charge"
    )
    assert keys == [key]
    assert idempotency_key() is None


async def test_a_failing_tool_is_an_error_result_not_an_exception() -> None:
    @tool
    def explode() -> str:
        """Always fails."""
        raise RuntimeError("disk on fire")

    call = ToolCall("c", "explode", {})
    out = await tool_call_step(
        json.dumps(call.to_dict()), StepKey("r", 1, "c"), ToolRegistry([explode])
    )
    message = ToolMessage.from_dict(json.loads(out))
    assert message.is_error
    assert "RuntimeError: disk on fire" in message.content


def test_the_default_resolver_turns_the_adapters_own_retries_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llmport.adapters.scripted import ScriptedAdapter as Scripted
    from llmport.durable.steps import connect_without_retries

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-resolver-0123456789")
    port = connect_without_retries("openai:gpt-x")
    assert port._shell.retry.max_retries == 0  # type: ignore[attr-defined]
    assert isinstance(connect_without_retries("scripted"), Scripted)  # has no retries to turn off
