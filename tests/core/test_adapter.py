"""``HttpAdapter``: what every wire gets from the one adapter class (key, base URL, options,
lifecycle, a body that always encodes)."""

from __future__ import annotations

import json

import pytest

from llmport import AssistantMessage, Done, UserMessage
from llmport.adapters.anthropic import AnthropicAdapter
from llmport.adapters.ollama import OllamaAdapter
from llmport.adapters.openai_chat import OpenAIChatAdapter
from llmport.core.adapter import dump_body
from llmport.domain.errors import AuthenticationError
from tests.support.fake_server import FakeServer, Reply, sse


def test_a_lone_surrogate_is_sent_as_the_replacement_character() -> None:
    body = dump_body({"messages": [{"content": "a\ud800b"}], "ok": "\U0001f600"})
    assert json.loads(body) == {"messages": [{"content": "a\ufffdb"}], "ok": "\U0001f600"}


async def test_a_lone_surrogate_from_the_stream_never_breaks_the_next_request() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "x\\ud800y"}, "finish_reason": "stop"}]}
    async with FakeServer() as server:
        server.add(
            Reply(
                body=[
                    f"data: {json.dumps(chunk)}\n\n".replace("\\\\", "\\").encode(),
                    b"data: [DONE]\n\n",
                ]
            ),
            Reply(body=sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
        )
        async with OpenAIChatAdapter("m", base_url=server.url) as port:
            stream = await port.chat_stream([UserMessage("hi")], [])
            async with stream:
                events = [e async for e in stream]
            done = events[-1]
            assert isinstance(done, Done)
            assert done.message.text == "x\ufffdy"
            history = [UserMessage("hi\udfff"), done.message, UserMessage("again")]
            stream = await port.chat_stream(history, [])
            async with stream:
                assert isinstance([e async for e in stream][-1], Done)
        sent = server.requests[1].json()["messages"]
        assert sent[0]["content"] == "hi\ufffd" and sent[1]["content"] == "x\ufffdy"


@pytest.mark.parametrize(
    ("factory", "variable"),
    [
        (lambda: AnthropicAdapter("m"), "ANTHROPIC_API_KEY"),
        (lambda: OpenAIChatAdapter("m"), "OPENAI_API_KEY"),
    ],
)
def test_a_missing_key_names_the_variable(factory: object, variable: str) -> None:
    with pytest.raises(AuthenticationError, match=variable):
        factory()  # type: ignore[operator]


def test_a_keyless_wire_needs_no_key_and_a_custom_openai_server_may_run_keyless() -> None:
    assert OllamaAdapter("m").shell.redacted_headers().get("authorization") is None
    port = OpenAIChatAdapter("m", base_url="http://127.0.0.1:8080/v1")
    assert "authorization" not in port.shell.redacted_headers()


def test_repr_and_request_body_are_pure_and_show_no_key() -> None:
    port = AnthropicAdapter("claude-x", api_key="sk-ant-SENTINEL")
    assert "SENTINEL" not in repr(port)
    body = port.request_body([UserMessage("hi"), AssistantMessage("yo")])
    assert "SENTINEL" not in json.dumps(body)
    assert port.request_body([UserMessage("hi"), AssistantMessage("yo")]) == body
