"""ToolDefinition: a name and a JSON Schema object, checked at construction."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from llmport.domain.tools import ToolDefinition


def test_defaults() -> None:
    tool = ToolDefinition("get_time")
    assert tool.description == ""
    assert tool.parameters == {"type": "object", "properties": {}}
    assert tool.strict is None


def test_default_parameters_are_not_shared() -> None:
    a, b = ToolDefinition("a"), ToolDefinition("b")
    assert a.parameters is not b.parameters


def test_full_definition() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    tool = ToolDefinition("weather", "Weather for a city", schema, strict=True)
    assert (tool.name, tool.description, tool.parameters, tool.strict) == (
        "weather",
        "Weather for a city",
        schema,
        True,
    )


def test_name_is_required() -> None:
    with pytest.raises(ValueError, match="a tool needs a name"):
        ToolDefinition("")


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"type": "string"},
        {"type": "array", "items": {}},
        {"properties": {}},
        ["type", "object"],
        "object",
        None,
    ],
)
def test_parameters_must_be_a_json_schema_object(parameters: Any) -> None:
    with pytest.raises(ValueError, match=r"tool 'f': parameters must be a JSON Schema object"):
        ToolDefinition("f", parameters=parameters)


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ToolDefinition("f").name = "g"  # type: ignore[misc]
