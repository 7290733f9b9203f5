"""Messages: construction rules, the JSON round trip, and clear errors for bad stored data."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport.domain.messages import (
    AgentMessage,
    AssistantMessage,
    ImagePart,
    ReasoningPart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
    message_from_dict,
    message_to_dict,
    messages_from_json,
    messages_to_json,
)

# --- strategies ------------------------------------------------------------------------------

# Any unicode text (non-BMP included; surrogates are not valid text and are excluded by default).
texts = st.text(max_size=20)
opt_texts = st.none() | texts
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(texts, json_values, max_size=4)

image_parts = st.one_of(
    st.builds(ImagePart, url=st.text(min_size=1, max_size=30).filter(lambda u: u.strip() != "")),
    st.builds(ImagePart, data=texts, media_type=st.sampled_from(["image/png", "image/jpeg"])),
)
user_parts = st.one_of(st.builds(TextPart, texts), image_parts)
tool_calls = st.one_of(
    st.builds(ToolCall, id=texts, name=texts, arguments=json_objects, provider_data=json_objects),
    st.builds(
        ToolCall,
        id=texts,
        name=texts,
        arguments=st.just({}),
        raw_arguments=texts,
        complete=st.just(False),
        provider_data=json_objects,
    ),
)
reasoning_parts = st.builds(
    ReasoningPart,
    text=texts,
    signature=opt_texts,
    encrypted=opt_texts,
    id=opt_texts,
    provider=opt_texts,
)
messages: st.SearchStrategy[AgentMessage] = st.one_of(
    st.builds(SystemMessage, texts),
    st.builds(UserMessage, texts),
    st.builds(UserMessage, st.lists(user_parts, max_size=3).map(tuple)),
    st.builds(
        AssistantMessage,
        text=texts,
        tool_calls=st.lists(tool_calls, max_size=3).map(tuple),
        reasoning=st.lists(reasoning_parts, max_size=2).map(tuple),
        refusal=opt_texts,
        provider_blocks=st.lists(json_objects, max_size=2).map(tuple),
        layout=json_objects,
    ),
    st.builds(
        ToolMessage, tool_call_id=texts, content=texts, is_error=st.booleans(), name=opt_texts
    ),
)


@given(st.lists(messages, max_size=6))
def test_any_conversation_survives_json(conversation: list[AgentMessage]) -> None:
    text = messages_to_json(conversation)
    assert messages_from_json(text) == conversation
    # It is plain JSON that other tools can read, and re-encoding is stable.
    assert isinstance(json.loads(text), list)
    assert messages_to_json(messages_from_json(text)) == text


@given(messages)
def test_dict_round_trip_goes_through_real_json(message: AgentMessage) -> None:
    data = json.loads(json.dumps(message_to_dict(message)))
    assert message_from_dict(data) == message


# --- explicit round trips of every shape -----------------------------------------------------

FULL_CONVERSATION: list[AgentMessage] = [
    SystemMessage("be brief"),
    UserMessage("hi 👋 \U0001f600 \u00e9"),
    UserMessage(
        (
            TextPart("what is in"),
            ImagePart(url="https://example.com/cat.png"),
            ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
            TextPart(""),
        )
    ),
    AssistantMessage(
        text="let me look",
        tool_calls=(
            ToolCall("call_1", "search", {"q": "cats", "n": 3, "nested": {"a": [1, None, True]}}),
            ToolCall("call_2", "noop"),
            ToolCall("call_3", "cut", {}, raw_arguments='{"q": "ca', complete=False),
        ),
        reasoning=(
            ReasoningPart("thinking…", signature="sig==", provider="anthropic"),
            ReasoningPart("", encrypted="opaque-blob", provider="anthropic"),
            ReasoningPart("summary", id="rs_1", encrypted="enc", provider="openai-responses"),
        ),
        refusal=None,
        provider_blocks=({"type": "server_tool_use", "id": "srv_1", "input": {"x": 1}},),
    ),
    ToolMessage("call_1", "3 cats", name="search"),
    ToolMessage("call_3", "bad arguments", is_error=True),
    AssistantMessage(text="I can't help with that.", refusal="I can't help with that."),
    AssistantMessage(),
]


def test_every_message_shape_round_trips() -> None:
    restored = messages_from_json(messages_to_json(FULL_CONVERSATION))
    assert restored == FULL_CONVERSATION
    # Field by field for the parts that carry opaque provider data.
    assistant = restored[3]
    assert isinstance(assistant, AssistantMessage)
    assert assistant.reasoning[0].signature == "sig=="
    assert assistant.reasoning[1].encrypted == "opaque-blob"
    assert assistant.reasoning[2].id == "rs_1"
    assert assistant.reasoning[2].provider == "openai-responses"
    cut = assistant.tool_calls[2]
    assert cut.complete is False
    assert cut.raw_arguments == '{"q": "ca'
    assert assistant.provider_blocks[0]["input"] == {"x": 1}


def test_stored_json_keeps_non_ascii_readable() -> None:
    text = messages_to_json([UserMessage("é \U0001f600")])
    assert "é \U0001f600" in text


def test_dict_shape_is_compact_and_stable() -> None:
    assert message_to_dict(ToolMessage("c", "out")) == {
        "role": "tool",
        "tool_call_id": "c",
        "content": "out",
    }
    assert message_to_dict(AssistantMessage("hi")) == {"role": "assistant", "text": "hi"}
    call = message_to_dict(AssistantMessage(tool_calls=(ToolCall("i", "n", {"a": 1}),)))
    assert call["tool_calls"] == [{"id": "i", "name": "n", "arguments": {"a": 1}}]


def test_message_to_dict_rejects_non_messages() -> None:
    with pytest.raises(TypeError, match="not an AgentMessage: TextPart"):
        message_to_dict(TextPart("x"))  # type: ignore[arg-type]


def test_sequences_become_tuples() -> None:
    user = UserMessage([TextPart("a")])  # type: ignore[arg-type]
    assert user.content == (TextPart("a"),)
    assistant = AssistantMessage(tool_calls=[ToolCall("1", "f")])  # type: ignore[arg-type]
    assert assistant.tool_calls == (ToolCall("1", "f"),)


def test_messages_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SystemMessage("x").content = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ToolCall("1", "f").name = "g"  # type: ignore[misc]


def test_user_text_joins_text_parts_only() -> None:
    assert UserMessage("plain").text == "plain"
    parts = (TextPart("a"), ImagePart(url="https://x/y.png"), TextPart("b"))
    assert UserMessage(parts).text == "ab"


def test_roles() -> None:
    assert SystemMessage("").role == "system"
    assert UserMessage("").role == "user"
    assert AssistantMessage().role == "assistant"
    assert ToolMessage("c", "").role == "tool"


# --- invalid stored data ---------------------------------------------------------------------

BAD_DICTS: list[tuple[Any, str]] = [
    ("not a dict", "a message must be a JSON object, not str"),
    ({}, "unknown message role None"),
    ({"role": "robot"}, "unknown message role 'robot'"),
    ({"role": "system"}, "field 'content' must be a string"),
    ({"role": "system", "content": 3}, "field 'content' must be a string"),
    ({"role": "user", "content": None}, "user message content must be a string or a list"),
    ({"role": "user", "content": [5]}, "a user content part must be a JSON object, not int"),
    ({"role": "user", "content": [{"type": "video"}]}, "unknown user content part type 'video'"),
    ({"role": "user", "content": [{"type": "text"}]}, "field 'text' must be a string"),
    ({"role": "user", "content": [{"type": "image"}]}, "exactly one of url= or data="),
    ({"role": "user", "content": [{"type": "image", "url": 1}]}, "field 'url' must be a string"),
    ({"role": "assistant", "text": 1}, "field 'text' must be a string"),
    ({"role": "assistant", "tool_calls": "ab"}, "field 'tool_calls' must be a list, not str"),
    ({"role": "assistant", "tool_calls": [1]}, "a tool call must be a JSON object, not int"),
    ({"role": "assistant", "tool_calls": [{"id": "a"}]}, "field 'name' must be a string"),
    (
        {"role": "assistant", "tool_calls": [{"id": "a", "name": "f", "arguments": [1]}]},
        "tool call arguments must be a JSON object, not list",
    ),
    (
        {"role": "assistant", "tool_calls": [{"id": "a", "name": "f", "complete": "false"}]},
        "field 'complete' must be true or false",
    ),
    (
        {"role": "assistant", "tool_calls": [{"id": "a", "name": "f", "raw_arguments": 5}]},
        "field 'raw_arguments' must be a string or absent",
    ),
    ({"role": "assistant", "reasoning": [1]}, "a reasoning part must be a JSON object, not int"),
    (
        {"role": "assistant", "reasoning": [{"signature": 1}]},
        "field 'signature' must be a string or absent",
    ),
    ({"role": "assistant", "refusal": 1}, "field 'refusal' must be a string or absent"),
    ({"role": "assistant", "provider_blocks": [1]}, "a provider block must be a JSON object"),
    ({"role": "tool", "content": "x"}, "field 'tool_call_id' must be a string"),
    (
        {"role": "tool", "tool_call_id": "c", "content": "x", "is_error": "yes"},
        "field 'is_error' must be true or false",
    ),
    ({"role": "tool", "tool_call_id": "c", "content": "x", "name": 1}, "field 'name'"),
]


@pytest.mark.parametrize(("data", "message"), BAD_DICTS)
def test_invalid_dicts_raise_a_clear_value_error(data: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        message_from_dict(data)
    assert message in str(caught.value)


def test_invalid_json_conversation() -> None:
    with pytest.raises(ValueError, match="must be a JSON list of messages"):
        messages_from_json('{"role": "system", "content": "x"}')
    with pytest.raises(ValueError, match="a message must be a JSON object, not int"):
        messages_from_json("[1]")
    with pytest.raises(ValueError):  # json.JSONDecodeError is a ValueError
        messages_from_json("[{")


def test_missing_optional_fields_take_defaults() -> None:
    assert message_from_dict({"role": "assistant"}) == AssistantMessage()
    call = message_from_dict(
        {"role": "assistant", "tool_calls": [{"id": "a", "name": "f", "arguments": None}]}
    )
    assert call == AssistantMessage(tool_calls=(ToolCall("a", "f", {}),))


# --- ImagePart -------------------------------------------------------------------------------


def test_image_part_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one of url= or data="):
        ImagePart()
    with pytest.raises(ValueError, match="exactly one of url= or data="):
        ImagePart(url="https://x/y.png", data="AAAA", media_type="image/png")


def test_image_part_data_needs_media_type() -> None:
    with pytest.raises(ValueError, match="needs media_type="):
        ImagePart(data="AAAA")
    with pytest.raises(ValueError, match="needs media_type="):
        ImagePart(data="AAAA", media_type="")


def test_image_part_as_data_url() -> None:
    assert ImagePart(url="https://x/y.png").as_data_url() == "https://x/y.png"
    assert ImagePart(url="data:image/gif;base64,R0lG").as_data_url() == "data:image/gif;base64,R0lG"
    image = ImagePart(data="iVBOR", media_type="image/png")
    assert image.as_data_url() == "data:image/png;base64,iVBOR"
    assert image.type == "image"
    assert TextPart("x").type == "text"


# --- ToolCall.arguments_json -----------------------------------------------------------------


def test_arguments_json_of_a_complete_call_is_compact_unicode_json() -> None:
    call = ToolCall("1", "f", {"city": "Zürich", "n": [1, 2], "\U0001f600": None})
    text = call.arguments_json()
    assert text == '{"city":"Zürich","n":[1,2],"\U0001f600":null}'
    assert json.loads(text) == call.arguments


def test_arguments_json_of_an_empty_call() -> None:
    assert ToolCall("1", "f").arguments_json() == "{}"


def test_arguments_json_of_an_incomplete_call_is_the_raw_text() -> None:
    call = ToolCall("1", "f", {}, raw_arguments='{"a": tru', complete=False)
    assert call.arguments_json() == '{"a": tru'
    # Without raw text there is nothing better to send back than the (empty) arguments.
    assert ToolCall("1", "f", {}, complete=False).arguments_json() == "{}"
    # A complete call always sends its parsed arguments, not stale raw text.
    assert ToolCall("1", "f", {"a": 1}, raw_arguments="junk").arguments_json() == '{"a":1}'


def test_image_part_rejects_an_empty_url() -> None:
    with pytest.raises(ValueError, match="non-empty URL"):
        ImagePart(url=" ")
