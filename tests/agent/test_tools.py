"""``@tool``, its schema and validation, and the ``ToolRegistry`` executor."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Literal

import pytest
from pydantic import BaseModel

from llmport import Tool, ToolCall, ToolDefinition, ToolExecutorPort, ToolRegistry, tool
from llmport.agent.output import MAX_OUTPUT_BYTES, cap, serialize_output
from llmport.agent.tools import ToolArgumentsError, parse_docstring


class Point(BaseModel):
    x: float
    y: float


def test_schema_comes_from_the_signature_and_google_docstring() -> None:
    @tool
    def search(query: str, limit: int = 10, mode: Literal["fast", "deep"] = "fast") -> list[str]:
        """Search the notes.

        Longer explanation that is not part of the description.

        Args:
            query: what to look for,
                over several lines
            limit (int): at most this many results
            mode: how hard to look

        Returns:
            matching note titles
        """
        return []

    definition = search.definition
    assert isinstance(definition, ToolDefinition)
    assert definition.name == "search"
    assert definition.description == "Search the notes."
    params = definition.parameters
    assert params["type"] == "object"
    assert params["required"] == ["query"]
    assert params["additionalProperties"] is False
    props = params["properties"]
    assert props["query"] == {
        "type": "string",
        "description": "what to look for, over several lines",
    }
    assert props["limit"] == {
        "type": "integer",
        "default": 10,
        "description": "at most this many results",
    }
    assert props["mode"]["enum"] == ["fast", "deep"]
    assert "title" not in props["query"]


def test_rest_docstring_and_overrides() -> None:
    @tool(name="move", description="Move a point.", timeout=2.5, strict=True)
    def move_point(point: Point, dx: float) -> Point:
        """Ignored.

        :param point: where it starts
        :param dx: how far to move
        """
        return Point(x=point.x + dx, y=point.y)

    assert isinstance(move_point, Tool)
    assert move_point.name == "move" and move_point.timeout == 2.5
    assert move_point.definition.description == "Move a point."
    assert move_point.definition.strict is True
    props = move_point.definition.parameters["properties"]
    assert props["dx"]["description"] == "how far to move"
    assert "$defs" in move_point.definition.parameters  # nested model schema kept
    # still callable directly
    assert move_point(Point(x=1, y=2), 1.0) == Point(x=2, y=2)


def test_parse_docstring_edge_cases() -> None:
    assert parse_docstring(None) == ("", {})
    assert parse_docstring("One line.") == ("One line.", {})
    description, params = parse_docstring("First\nparagraph.\n\nSecond.\n\nArgs:\n    a: x\n")
    assert description == "First paragraph."
    assert params == {"a": "x"}


def test_validation_coerces_and_rejects_with_short_messages() -> None:
    @tool
    def scale(point: Point, factor: float = 1.0) -> Point:
        """Scale."""
        return point

    kwargs = scale.validate({"point": {"x": 1, "y": "2"}, "factor": 3})
    assert kwargs == {"point": Point(x=1, y=2), "factor": 3.0}
    with pytest.raises(ToolArgumentsError) as caught:
        scale.validate({"point": {"x": "a"}, "zoom": 1})
    text = str(caught.value)
    assert "point.x: Input should be a valid number" in text
    assert "point.y: Field required" in text
    assert "zoom: Extra inputs are not permitted" in text


def test_unsupported_signatures_are_refused_clearly() -> None:
    def star(*args: int) -> None:
        """No."""

    with pytest.raises(TypeError, match=r"\*args/\*\*kwargs"):
        tool(star)


async def test_sync_tools_run_in_a_worker_thread_and_async_tools_on_the_loop() -> None:
    main_thread = threading.get_ident()

    @tool
    def where() -> int:
        """Thread id."""
        return threading.get_ident()

    @tool
    async def where_async() -> int:
        """Thread id."""
        await asyncio.sleep(0)
        return threading.get_ident()

    assert await where.invoke({}) != main_thread
    assert await where_async.invoke({}) == main_thread


async def test_registry_is_a_tool_executor_port() -> None:
    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    registry = ToolRegistry([echo])
    assert isinstance(registry, ToolExecutorPort)
    assert [d.name for d in registry.list_tools()] == ["echo"]
    result = await registry.execute(ToolCall("c1", "echo", {"text": "hi"}))
    assert (result.tool_call_id, result.content, result.is_error, result.name) == (
        "c1",
        "hi",
        False,
        "echo",
    )
    with pytest.raises(ValueError, match="two tools are named 'echo'"):
        registry.add(echo)
    assert "echo" in registry and len(registry) == 1


async def test_registry_wraps_plain_functions_and_applies_per_tool_timeouts() -> None:
    def plain(n: int) -> int:
        """Double."""
        return 2 * n

    @tool(timeout=0.05)
    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(5)
        return "late"

    registry = ToolRegistry([plain, slow])
    assert (await registry.execute(ToolCall("a", "plain", {"n": 4}))).content == "8"
    late = await registry.execute(ToolCall("b", "slow", {}))
    assert late.is_error
    assert late.content == "ToolTimeout: 'slow' did not finish within 0.05 s"


async def test_registry_errors_are_short_and_traceback_free() -> None:
    @tool
    def fail() -> None:
        """Fails with a huge message."""
        raise RuntimeError("x" * 10_000)

    result = await ToolRegistry([fail]).execute(ToolCall("c", "fail", {}))
    assert result.is_error
    assert result.content.startswith("RuntimeError: xxx")
    assert len(result.content) <= 500
    assert "Traceback" not in result.content


@dataclass
class Record:
    name: str
    tags: tuple[str, ...]


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:
        raise RuntimeError("no str")


def test_serialize_output_handles_every_kind_of_value() -> None:
    assert serialize_output("plain") == "plain"
    assert serialize_output(None) == "null"
    assert serialize_output(Record("a", ("x",))) == '{"name": "a", "tags": ["x"]}'
    assert serialize_output(Point(x=1, y=2)) == '{"x": 1.0, "y": 2.0}'
    assert serialize_output({"é": "ü"}) == '{"é": "ü"}'
    huge = serialize_output(["y" * 100] * 10_000)
    assert len(huge) == MAX_OUTPUT_BYTES and "truncated" in huge[-40:]


async def test_unshowable_output_is_a_tool_output_error_result() -> None:
    cyclic: dict[str, object] = {}
    cyclic["self"] = cyclic
    cyclic["bad"] = Unprintable()

    @tool
    def weird() -> object:
        """Returns something that cannot be shown."""
        return cyclic

    result = await ToolRegistry([weird]).execute(ToolCall("c", "weird", {}))
    assert result.is_error
    assert result.content.startswith("ToolOutputError: the tool returned a dict")


def test_cap_keeps_short_text_and_marks_cuts() -> None:
    assert cap("abc", 10) == "abc"
    cut = cap("a" * 100, 50)
    assert len(cut) == 50 and cut.endswith("[truncated: 100 bytes in all]")
    # the limit is in UTF-8 bytes: 3-byte characters are cut at a character boundary
    wide = cap("語" * 100_000)
    assert len(wide.encode()) <= 64 * 1024
    assert wide.startswith("語" * 1000)
    assert wide.endswith("[truncated: 300000 bytes in all]")
