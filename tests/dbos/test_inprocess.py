"""``DurableAgent`` in this process on a fresh SQLite database per test: the same run_id
attaches instead of running again, only retryable model failures are retried, a failure is
recorded and raised the same way each time, a denied call is an error result for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from llmport import AgentError, BadRequestError, RateLimitError, Usage, tool
from llmport.adapters.scripted import ScriptedAdapter, ScriptedTurn

pytest.importorskip("dbos", reason="the dbos extra is not installed")

from llmport.dbos import DurableAgent, launch, shutdown  # noqa: E402


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[str]:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    launch(url)
    try:
        yield url
    finally:
        shutdown()


@pytest.fixture
def agents() -> Iterator[list[DurableAgent]]:
    made: list[DurableAgent] = []
    yield made
    for agent in made:
        agent.forget()


def make(
    agents: list[DurableAgent], name: str, port: ScriptedAdapter, **kwargs: object
) -> DurableAgent:
    agent = DurableAgent(
        name, model="scripted", resolve=lambda _: port, retry_interval=0.01, **kwargs
    )  # type: ignore[arg-type]
    agents.append(agent)
    return agent


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_the_same_run_id_attaches_and_never_runs_twice(
    database: str, agents: list[DurableAgent]
) -> None:
    port = ScriptedAdapter(
        [
            ScriptedTurn.tool_calls(("add", {"a": 2, "b": 3})),
            ScriptedTurn.text("5", usage=Usage(4, 1)),
        ]
    )
    agent = make(agents, "adder", port, tools=[add])
    first = await agent.run("2+3?", run_id="sum-1")
    again = await agent.run("2+3?", run_id="sum-1")
    waited = await agent.result("sum-1")
    assert first.text == again.text == waited.text == "5"
    assert again.transcript == first.transcript
    assert len(port.calls) == 2  # two turns, once
    assert first.transcript[2].content == "5"  # type: ignore[union-attr]


async def test_a_run_id_reused_for_another_prompt_or_agent_is_refused(
    database: str, agents: list[DurableAgent]
) -> None:
    port = ScriptedAdapter([ScriptedTurn.text("5")])
    agent = make(agents, "adder", port)
    other = make(agents, "other", ScriptedAdapter([]))
    assert (await agent.run("2+3?", run_id="sum-2")).text == "5"
    with pytest.raises(ValueError, match="another prompt"):
        await agent.run("a different prompt", run_id="sum-2")
    with pytest.raises(ValueError, match="another durable agent"):
        await other.run("2+3?", run_id="sum-2")
    assert len(port.calls) == 1


async def test_only_a_retryable_model_failure_is_retried(
    database: str, agents: list[DurableAgent]
) -> None:
    limited = RateLimitError("slow down", provider="scripted")
    port = ScriptedAdapter([ScriptedTurn(start_error=limited), ScriptedTurn.text("ok")])
    agent = make(agents, "retrying", port)
    assert (await agent.run("hi", run_id="r-1")).text == "ok"
    assert len(port.calls) == 2

    refused = BadRequestError("no such model", provider="scripted", status_code=400)
    port2 = ScriptedAdapter([ScriptedTurn(start_error=refused), ScriptedTurn.text("never")])
    agent2 = make(agents, "refused", port2)
    with pytest.raises(AgentError.Internal) as caught:
        await agent2.run("hi", run_id="r-2")
    assert len(port2.calls) == 1
    assert isinstance(caught.value.__cause__, BadRequestError)
    assert caught.value.__cause__.status_code == 400
    with pytest.raises(AgentError.Internal):  # recorded: attaching raises it again, no call
        await agent2.result("r-2")
    assert len(port2.calls) == 1


async def test_retries_stop_after_max_attempts_with_the_typed_error(
    database: str, agents: list[DurableAgent]
) -> None:
    limited = RateLimitError("slow down", provider="scripted")
    port = ScriptedAdapter([ScriptedTurn(start_error=limited)] * 3)
    agent = make(agents, "exhausted", port, max_attempts=2)
    with pytest.raises(AgentError.Internal) as caught:
        await agent.run("hi", run_id="r-3")
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert len(port.calls) == 2


async def test_a_denied_call_is_an_error_result_and_the_run_goes_on(
    database: str, agents: list[DurableAgent]
) -> None:
    ran: list[int] = []

    @tool
    def pay(amount: int) -> str:
        """Pay."""
        ran.append(amount)
        return "paid"

    port = ScriptedAdapter(
        [ScriptedTurn.tool_calls(("pay", {"amount": 9})), ScriptedTurn.text("not paid")]
    )
    agent = make(agents, "payer", port, tools=[pay], needs_approval=["pay"])
    await agent.start("pay 9", run_id="p-1")
    pending = await agent.wait_for_approval("p-1", poll=0.05)
    assert pending.call.arguments == {"amount": 9}
    await agent.approve(pending, approved=False)
    result = await agent.result("p-1")
    assert ran == []
    assert result.text == "not paid"
    denied = result.transcript[2]
    assert denied.is_error and "not approved" in denied.content  # type: ignore[union-attr]
    assert await agent.pending_approval("p-1") is None


def test_names_are_unique_and_settings_checked(agents: list[DurableAgent]) -> None:
    make(agents, "unique", ScriptedAdapter())
    with pytest.raises(ValueError, match="already exists"):
        DurableAgent("unique", model="scripted")
    with pytest.raises(ValueError, match="needs a name"):
        DurableAgent("", model="scripted")
    with pytest.raises(ValueError, match="names no tool of this agent: refund"):
        DurableAgent("y", model="scripted", tools=[add], needs_approval=["add", "refund"])
    with pytest.raises(ValueError, match="max_attempts"):
        DurableAgent("x", model="scripted", max_attempts=0)
