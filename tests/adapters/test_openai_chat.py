"""``OpenAIChatAdapter`` and its codec: each vendor quirk, the encoder, keys, presets, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmport import connect
from llmport.adapters.openai_chat import PRESETS, OpenAIChatAdapter
from llmport.adapters.openai_compat import OpenAIChatDecoder, map_finish_reason
from llmport.core.raw import END, Finish
from llmport.domain.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ErrorCategory,
    QuotaExceededError,
    RateLimitError,
    StreamInBandError,
    StreamProtocolError,
    StreamTruncatedError,
)
from llmport.domain.events import (
    Done,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import (
    AssistantMessage,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from llmport.domain.tools import ToolDefinition
from tests.support.goldens import mock_client
from tests.support.streams import get_stream

SENTINEL = "sk-SENTINEL-abcdef0123456789"


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for preset in PRESETS.values():
        monkeypatch.delenv(preset.api_key_env, raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


async def turn(body: bytes, **options: Any) -> tuple[list[Any], Exception | None]:
    events: list[Any] = []
    async with mock_client(body) as client:
        port = OpenAIChatAdapter("m", api_key="k", http_client=client, max_retries=0, **options)
        try:
            stream = await port.chat_stream([UserMessage("hi")], [])
            async with stream:
                async for event in stream:
                    events.append(event)
        except Exception as error:  # the tests look at which one
            return events, error
    return events, None


def sse(*chunks: dict[str, Any] | str) -> bytes:
    return b"".join(
        f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n".encode() for c in chunks
    )


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0, **top: Any
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "delta": delta or {}, "finish_reason": finish}
    return {"id": "chatcmpl-1", "model": "m", "choices": [choice], **top}


# --- recorded quirks -----------------------------------------------------------------------------


async def recorded(name: str) -> tuple[list[Any], Exception | None]:
    return await turn(get_stream(name).body)


async def test_mistral_content_parts_and_thinking_parts() -> None:
    events, error = await recorded("mistral/magistral-thinking")
    assert error is None
    done = events[-1]
    assert done.message.reasoning
    assert done.message.reasoning[0].text.startswith("Okay")
    assert done.message.text
    assert "thinking" not in done.message.text
    assert any(isinstance(e, ReasoningDelta) for e in events)


async def test_perplexity_repeated_message_is_not_doubled_and_eof_after_finish_is_done() -> None:
    events, error = await recorded("perplexity/sonar-no-done")
    assert error is None
    done = events[-1]
    assert isinstance(done, Done)
    assert done.finish_reason is FinishReason.STOP
    assert done.message.text == "".join(e.text for e in events if isinstance(e, TextDelta))
    assert done.message.text.count("A solar eclipse occurs when") == 1


async def test_azure_prompt_filter_chunk_with_empty_choices() -> None:
    events, error = await recorded("azure_openai/chat-tool-call-content-filter-results")
    assert error is None
    done = events[-1]
    assert done.response_id
    assert done.response_id.startswith("chatcmpl-")
    assert done.finish_reason is FinishReason.TOOL_CALLS


async def test_openrouter_error_after_length_is_in_band_even_though_done_follows() -> None:
    events, error = await recorded("openrouter/error-chunk-length")
    assert not any(isinstance(e, Done) for e in events)
    assert isinstance(error, StreamInBandError)
    assert error.after_output
    assert error.status_code is None
    assert "Token limit reached" in str(error)


@pytest.mark.parametrize(
    "name", ["groq/error-event-after-text", "groq/error-event-tool-use-failed"]
)
async def test_groq_event_error(name: str) -> None:
    events, error = await recorded(name)
    assert isinstance(error, StreamInBandError)
    assert error.code == "tool_use_failed"
    assert error.error_category is ErrorCategory.BAD_REQUEST
    assert not error.retryable
    assert not any(isinstance(e, Done) for e in events)


async def test_kimi_duplicate_tool_chunk_gives_one_call() -> None:
    events, error = await recorded("openrouter/kimi-duplicate-tool-chunk")
    assert error is None
    done = events[-1]
    assert done.message.tool_calls == (ToolCall("0", "llm_version", {}),)
    assert done.finish_reason is FinishReason.TOOL_CALLS
    assert done.raw_finish_reason is None


async def test_snowflake_without_finish_reason_is_stop_by_the_marker() -> None:
    events, error = await recorded("snowflake_cortex/thinking")
    assert error is None
    done = events[-1]
    assert done.finish_reason is FinishReason.STOP
    assert done.raw_finish_reason is None
    assert done.message.reasoning[0].text
    assert done.usage == Usage(45, 73, 0, 0)


@pytest.mark.parametrize("name", ["openai/chat-gpt5-moderation-obfuscation", "mistral/n2-length"])
async def test_padding_fields_are_ignored(name: str) -> None:
    body = get_stream(name).body
    assert b'"obfuscation"' in body or b'"p":' in body
    events, error = await turn(body)
    assert error is None
    assert isinstance(events[-1], Done)


async def test_only_choice_zero_is_streamed() -> None:
    events, error = await recorded("llamacpp/n2-two-candidates")
    assert error is None
    assert events[-1].message.text == "Tidehaven"
    body = sse(
        chunk({"content": "zero"}),
        chunk({"content": "one"}, index=1),
        chunk({}, "length", index=1),
        chunk({}, "stop"),
        "[DONE]",
    )
    events, _ = await turn(body)
    assert events[-1].message.text == "zero"
    assert events[-1].finish_reason is FinishReason.STOP


async def test_groq_usage_and_deepseek_cache_hits() -> None:
    body = sse(
        chunk(
            {"content": "x"}, "stop", x_groq={"usage": {"prompt_tokens": 5, "completion_tokens": 2}}
        ),
        "[DONE]",
    )
    events, _ = await turn(body)
    assert events[-1].usage == Usage(5, 2, 0, 0)
    body = sse(
        chunk({"content": "x"}, "stop"),
        {
            "id": "c",
            "choices": [],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 3,
                "prompt_cache_hit_tokens": 4,
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
        },
        "[DONE]",
    )
    events, _ = await turn(body)
    assert events[-1].usage == Usage(9, 3, 4, 2)


# --- decoder rules -------------------------------------------------------------------------------


async def test_eof_without_done_or_finish_is_truncated() -> None:
    events, error = await turn(sse(chunk({"content": "par"})))
    assert events == [TextDelta("par")]
    assert isinstance(error, StreamTruncatedError)
    assert error.after_output


async def test_content_after_a_finish_then_eof_is_truncated() -> None:
    decoder = OpenAIChatDecoder()
    decoder.feed("", json.dumps(chunk({}, "stop")))
    decoder.feed("", json.dumps(chunk({"content": "more"})))
    with pytest.raises(StreamTruncatedError):
        decoder.eof()


def test_done_marker_and_frames_after_it() -> None:
    decoder = OpenAIChatDecoder()
    assert decoder.feed("", "[DONE]") == [END]
    assert decoder.feed("", "{not json") == []
    assert decoder.eof() == []


def test_invalid_json_is_a_protocol_error_naming_the_offset_not_the_payload() -> None:
    decoder = OpenAIChatDecoder(provider="openai")
    with pytest.raises(StreamProtocolError) as caught:
        decoder.feed("", '{"choices": [SECRETPAYLOAD')
    assert "offset" in str(caught.value)
    assert "SECRETPAYLOAD" not in str(caught.value)
    with pytest.raises(StreamProtocolError):
        OpenAIChatDecoder().feed("", "[1, 2]")


def test_unknown_named_events_and_fields_are_ignored() -> None:
    decoder = OpenAIChatDecoder()
    assert decoder.feed("ping", "{}") == []
    out = decoder.feed("", json.dumps(chunk({"content": "a", "new_field": 1}, None, unknown=True)))
    assert TextDelta("a") in out


def test_refusal_reasoning_and_tool_call_deltas() -> None:
    decoder = OpenAIChatDecoder()
    out = decoder.feed(
        "",
        json.dumps(
            chunk(
                {
                    "reasoning_content": "think",
                    "refusal": "no",
                    "tool_calls": [
                        {"index": 1, "id": "c1", "function": {"name": "f", "arguments": {"a": 1}}}
                    ],
                },
                "tool_calls",
            )
        ),
    )
    assert ReasoningDelta("think") in out
    assert ToolCallDelta(1, "c1", "f", '{"a": 1}') in out
    assert Finish(FinishReason.TOOL_CALLS, "tool_calls") in out


def test_finish_reason_mapping() -> None:
    assert map_finish_reason("stop") is FinishReason.STOP
    assert map_finish_reason("length") is FinishReason.LENGTH
    assert map_finish_reason("function_call") is FinishReason.TOOL_CALLS
    assert map_finish_reason("content_filter") is FinishReason.CONTENT_FILTER
    assert map_finish_reason("something_new") is FinishReason.OTHER


async def test_in_band_error_chunk_categories() -> None:
    for error, category, retryable in [
        ({"code": "rate_limit_exceeded", "message": "slow"}, ErrorCategory.RATE_LIMIT, True),
        ({"type": "server_error", "message": "boom"}, ErrorCategory.SERVER, True),
        ({"code": "context_length_exceeded"}, ErrorCategory.CONTEXT_LENGTH, False),
        ({"code": 502, "message": "upstream"}, ErrorCategory.SERVER, True),
    ]:
        with pytest.raises(StreamInBandError) as caught:
            OpenAIChatDecoder().feed("", json.dumps({"error": error}))
        assert caught.value.error_category is category
        assert caught.value.retryable is retryable


# --- encoder -------------------------------------------------------------------------------------


def test_request_body_encodes_every_message_kind_and_setting() -> None:
    adapter = OpenAIChatAdapter(
        "gpt-4o",
        api_key="k",
        tool_choice="lookup",
        parallel_tool_calls=False,
        temperature=0.2,
        max_tokens=50,
        stop=["END"],
        seed=7,
        response_format={"type": "json_object"},
        reasoning_effort="low",
        extra_body={"user": "u1"},
    )
    messages = [
        SystemMessage("be brief"),
        UserMessage((TextPart("what is this?"), ImagePart(data="AAAA", media_type="image/png"))),
        AssistantMessage(text="", tool_calls=(ToolCall("c1", "lookup", {"q": "x"}),)),
        ToolMessage("c1", "result", is_error=False),
        AssistantMessage(text="done"),
    ]
    tool = ToolDefinition(
        "lookup",
        "Look up",
        {"type": "object", "properties": {"q": {"type": "string"}}},
        strict=True,
    )
    body = adapter.build_request(messages, [tool])
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"q":"x"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "result"},
        {"role": "assistant", "content": "done"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": tool.parameters,
                "description": "Look up",
                "strict": True,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert body["parallel_tool_calls"] is False
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert (body["temperature"], body["stop"], body["seed"]) == (0.2, ["END"], 7)
    assert body["response_format"] == {"type": "json_object"}
    assert body["reasoning_effort"] == "low"
    assert body["user"] == "u1"


def test_tool_settings_are_left_out_without_tools_and_compatible_servers_get_max_tokens() -> None:
    adapter = OpenAIChatAdapter(
        "m", base_url="http://127.0.0.1:8080/v1", tool_choice="required", max_tokens=5
    )
    body = adapter.build_request([UserMessage("x")], [])
    assert "tool_choice" not in body
    assert "tools" not in body
    assert body["max_tokens"] == 5


async def test_request_is_sent_to_chat_completions_with_bearer_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=sse(chunk({"content": "x"}, "stop"), "[DONE]"))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        port = OpenAIChatAdapter(
            "m", api_key=SENTINEL, base_url="https://example.test/v1/", http_client=client
        )
        stream = await port.chat_stream([UserMessage("hi")], [])
        assert [e async for e in stream][-1].message.text == "x"
    assert str(seen[0].url) == "https://example.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == f"Bearer {SENTINEL}"
    assert json.loads(seen[0].content)["messages"] == [{"role": "user", "content": "hi"}]
    assert SENTINEL not in repr(port)
    assert SENTINEL not in repr(port.shell)


# --- keys, base URLs, presets, connect ------------------------------------------------------------


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        OpenAIChatAdapter("gpt-4o")
    with pytest.raises(AuthenticationError, match="GROQ_API_KEY"):
        connect("groq:llama-3.3-70b-versatile")
    monkeypatch.setenv("GROQ_API_KEY", SENTINEL)
    port = connect("groq:llama-3.3-70b-versatile")
    assert isinstance(port, OpenAIChatAdapter)
    assert port.base_url == "https://api.groq.com/openai/v1"
    assert port.provider == "groq"
    assert SENTINEL not in repr(port)


def test_a_key_read_with_its_newline_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL + "\n")  # e.g. KEY=$(cat key.txt) in a .env
    with pytest.raises(ValueError, match="authorization") as caught:
        OpenAIChatAdapter("gpt-4o")
    assert SENTINEL not in str(caught.value) + repr(caught.value)


def test_keyless_custom_server_and_env_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    port = OpenAIChatAdapter("local", base_url="http://127.0.0.1:8080/v1")
    assert "authorization" not in port.shell.build_headers()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:1234/v1")
    port = connect("openai:qwen")
    assert isinstance(port, OpenAIChatAdapter)
    assert port.base_url == "http://localhost:1234/v1"


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pw@host/v1",
        "ftp://host/v1",
        "https://host/v1?key=x",
        "http://localhost:99999/v1",  # was a bare ExceptionGroup from chat_stream
        "http://local\x00host/v1",  # was a bare httpx.InvalidURL from chat_stream
        "http://exa mple.com/v1",
    ],
)
def test_bad_base_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        OpenAIChatAdapter("m", api_key="k", base_url=url)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_registered(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRESETS[name].api_key_env, "key")
    port = connect(f"{name}:some-model")
    assert isinstance(port, OpenAIChatAdapter)
    assert port.base_url == PRESETS[name].base_url
    assert port.model == "some-model"


def test_mistral_required_tool_choice_is_any() -> None:
    port = OpenAIChatAdapter("m", api_key="k", preset="mistral", tool_choice="required")
    body = port.build_request([UserMessage("x")], [ToolDefinition("t")])
    assert body["tool_choice"] == "any"
    assert "stream_options" not in body


# --- HTTP errors ---------------------------------------------------------------------------------


async def http_error(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None, retries: int = 2
) -> tuple[Exception, int]:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status, json=body, headers=headers or {})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        port = OpenAIChatAdapter("m", api_key=SENTINEL, http_client=client, max_retries=retries)

        async def no_sleep(_: float) -> None:
            return None

        port.shell.sleep = no_sleep
        with pytest.raises(Exception) as caught:
            await port.chat_stream([UserMessage("x")], [])
    return caught.value, calls


async def test_context_length_400_is_typed_and_not_retried() -> None:
    error, calls = await http_error(
        400,
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        },
    )
    assert isinstance(error, ContextLengthExceededError)
    assert calls == 1
    assert error.code == "context_length_exceeded"


async def test_insufficient_quota_429_is_not_retried() -> None:
    error, calls = await http_error(
        429,
        {
            "error": {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        },
    )
    assert isinstance(error, QuotaExceededError)
    assert calls == 1
    assert not error.retryable


async def test_rate_limit_429_is_retried() -> None:
    error, calls = await http_error(
        429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}
    )
    assert isinstance(error, RateLimitError)
    assert calls == 3


async def test_401_message_never_has_the_key() -> None:
    error, calls = await http_error(
        401,
        {
            "error": {
                "message": f"Incorrect API key provided: {SENTINEL}",
                "code": "invalid_api_key",
            }
        },
    )
    assert isinstance(error, AuthenticationError)
    assert calls == 1
    assert SENTINEL not in str(error)
    assert SENTINEL not in repr(error)


async def test_vllm_style_error_body_is_understood() -> None:
    body = {
        "object": "error",
        "message": "This model's maximum context length is 4096 tokens.",
        "type": "BadRequestError",
        "code": 400,
    }
    error, _ = await http_error(400, body)
    assert isinstance(error, ContextLengthExceededError)
