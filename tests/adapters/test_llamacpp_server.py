"""The HTTP adapters against a real server: llama.cpp's own (from the ``xllamacpp`` wheel) with
the pinned SmolLM2-135M, started on loopback with a random key (``tests/support/llama_server``).

Skipped, with the reason, only when xllamacpp or the model file cannot be had (``scripts/test.sh``
installs and fetches both, so CI runs these)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from llmport.adapters.anthropic import AnthropicAdapter
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.domain.errors import AuthenticationError, LlmError
from llmport.domain.events import FinishReason, TextDelta
from llmport.domain.messages import UserMessage
from llmport.domain.tools import ToolDefinition
from llmport.testing import check_port
from tests.support.llama_server import LlamaServer, llama_server

pytestmark = pytest.mark.slow
__all__ = ["llama_server"]  # the fixture, imported to be found


def local(server: LlamaServer, **options: Any) -> OpenAIChatAdapter:
    return OpenAIChatAdapter(
        "smollm2", base_url=server.openai_base_url, api_key=server.api_key,
        temperature=0, seed=1, **options,
    )  # fmt: skip


async def test_openai_chat_streams_a_text_answer_to_one_done(llama_server: LlamaServer) -> None:
    async with local(llama_server, max_tokens=24) as port:
        outcome = await check_port(port, [UserMessage("Say hello to Ada.")])
    done = outcome.done
    assert done is not None, outcome.error
    deltas = [e for e in outcome.events if isinstance(e, TextDelta)]
    assert len(deltas) >= 2
    assert done.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert done.message.text == "".join(d.text for d in deltas)
    assert done.message.text.strip()
    assert done.usage is not None and done.usage.input_tokens > 0 and done.usage.output_tokens > 0


async def test_anthropic_streams_a_text_answer_to_one_done(llama_server: LlamaServer) -> None:
    async with AnthropicAdapter(
        "smollm2", base_url=llama_server.url, api_key=llama_server.api_key, max_tokens=24,
        temperature=0,
    ) as port:  # fmt: skip
        outcome = await check_port(port, [UserMessage("Say hello to Ada.")])
    done = outcome.done
    assert done is not None, outcome.error
    assert done.message.text.strip()
    assert done.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert done.usage is not None and done.usage.output_tokens > 0


async def test_a_wrong_key_is_an_authentication_error(llama_server: LlamaServer) -> None:
    async with OpenAIChatAdapter(
        "smollm2", base_url=llama_server.openai_base_url, api_key="wrong-key", max_retries=0
    ) as port:
        with pytest.raises(AuthenticationError) as caught:
            await port.chat_stream([UserMessage("hi")], [])
    assert llama_server.api_key not in str(caught.value) and "wrong-key" not in str(caught.value)


async def test_a_forced_tool_the_template_cannot_express_still_ends_in_one_terminal(
    llama_server: LlamaServer,
) -> None:
    """llama.cpp answers a forced tool in words for a template without tools: the stream still
    keeps the contract (one terminal, no hang), whatever the finish reason."""
    weather = ToolDefinition("get_weather", "Get the weather", {"type": "object", "properties": {}})
    async with local(llama_server, max_tokens=16, tool_choice="get_weather") as port:
        outcome = await check_port(port, [UserMessage("What is the weather in Paris?")], [weather])
    assert (outcome.done is None) != (outcome.error is None)


async def test_whatever_the_server_does_with_auto_choice_ends_in_one_terminal(
    llama_server: LlamaServer,
) -> None:
    """Auto tool choice on a 135M model: a call, words, or a server error; never a hang, and
    always exactly one terminal (check_port asserts the contract)."""
    weather = ToolDefinition(
        "get_weather",
        "Get the weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    async with local(
        llama_server, max_tokens=60, tool_choice="auto", first_event_timeout=60, idle_timeout=60,
        max_retries=0,
    ) as port:  # fmt: skip
        start = time.monotonic()
        try:
            outcome = await check_port(
                port, [UserMessage("Use the get_weather tool to get the weather in Paris.")],
                [weather],
            )  # fmt: skip
        except LlmError as error:  # refused at the start: a typed error is what we promise
            assert error.provider == "openai"
        else:
            assert (outcome.done is None) != (outcome.error is None)
        assert time.monotonic() - start < 30


async def test_openai_responses_streams_a_text_answer_to_one_done(
    llama_server: LlamaServer,
) -> None:
    from llmport.adapters.openai_responses import OpenAIResponsesAdapter

    async with OpenAIResponsesAdapter(
        "smollm2", base_url=llama_server.openai_base_url, api_key=llama_server.api_key,
        max_tokens=24, temperature=0,
    ) as port:  # fmt: skip
        outcome = await check_port(port, [UserMessage("Say hello to Ada.")])
    done = outcome.done
    assert done is not None, outcome.error
    assert done.message.text.strip()
    assert done.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert done.usage is not None and done.usage.output_tokens > 0
