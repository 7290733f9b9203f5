"""LangChain messages and tools as llmport's domain types."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="the langchain extra is not installed")

from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from llmport.domain import messages as lp
from llmport.langchain.messages import to_messages, to_tool_choice, to_tools


def test_every_role_converts() -> None:
    out = to_messages(
        [
            SystemMessage("be brief"),
            HumanMessage("hi", name="ann"),
            AIMessage(
                [{"type": "text", "text": "let me"}, {"type": "tool_use", "id": "t", "name": "f",
                                                      "input": {"a": 1}}],
                tool_calls=[{"name": "f", "args": {"a": 1}, "id": "t", "type": "tool_call"}],
            ),
            ToolMessage("oops", tool_call_id="t", name="f", status="error"),
            ChatMessage("as user", role="user"),
        ]
    )  # fmt: skip
    assert out == [
        lp.SystemMessage("be brief"),
        lp.UserMessage("hi"),
        lp.AssistantMessage(text="let me", tool_calls=(lp.ToolCall("t", "f", {"a": 1}),)),
        lp.ToolMessage("t", "oops", is_error=True, name="f"),
        lp.UserMessage("as user"),
    ]


def test_images_and_reasoning() -> None:
    (user, ai) = to_messages(
        [
            HumanMessage(
                [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "image", "url": "https://example.test/cat.png"},
                    {"type": "image", "base64": "BBBB", "mime_type": "image/jpeg"},
                ]
            ),
            AIMessage(
                [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                 {"type": "text", "text": "a cat"}]
            ),
        ]
    )  # fmt: skip
    assert user == lp.UserMessage(
        (
            lp.TextPart("what is this?"),
            lp.ImagePart(data="AAAA", media_type="image/png"),
            lp.ImagePart(url="https://example.test/cat.png"),
            lp.ImagePart(data="BBBB", media_type="image/jpeg"),
        )
    )
    assert ai == lp.AssistantMessage(
        text="a cat", reasoning=(lp.ReasoningPart(text="hmm", signature="sig"),)
    )


def test_what_cannot_be_sent_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'file' content block in a user message"):
        to_messages([HumanMessage([{"type": "file", "base64": "x", "mime_type": "a/b"}])])
    with pytest.raises(ValueError, match="cannot send a FunctionMessage"):
        to_messages([FunctionMessage("x", name="f")])
    with pytest.raises(ValueError, match="unsupported tool_choice"):
        to_tool_choice(3)


def test_tools_from_functions_models_and_dicts() -> None:
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    (tool,) = to_tools([add], strict=True)
    assert tool.name == "add" and tool.description == "Add." and tool.strict is True
    assert set(tool.parameters["properties"]) == {"a", "b"}
    (raw,) = to_tools([{"type": "function", "function": {"name": "noop", "parameters": {}}}])
    assert raw.parameters == {"type": "object", "properties": {}}
