"""What a tool looks like to the model: a name, a description and a JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ToolDefinition"]


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    """A tool offered to the model. ``parameters`` is a JSON Schema object.

    ``strict`` asks providers that support it (OpenAI) to constrain arguments to the schema.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    strict: bool | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a tool needs a name")
        if not isinstance(self.parameters, Mapping) or self.parameters.get("type") != "object":
            raise ValueError(f"tool {self.name!r}: parameters must be a JSON Schema object")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``ToolDefinition.from_dict`` reverses it exactly."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": dict(self.parameters),
        }
        if self.strict is not None:
            out["strict"] = self.strict
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolDefinition:
        if not isinstance(data, Mapping):
            raise ValueError("a tool definition must be a JSON object")
        name, description = data.get("name"), data.get("description", "")
        parameters, strict = data.get("parameters"), data.get("strict")
        if not isinstance(name, str) or not isinstance(description, str):
            raise ValueError("a tool definition needs a string name and description")
        if strict is not None and not isinstance(strict, bool):
            raise ValueError("a tool definition's strict must be true, false or absent")
        if parameters is None:
            return cls(name, description, strict=strict)
        if not isinstance(parameters, Mapping):
            raise ValueError(f"tool {name!r}: parameters must be a JSON Schema object")
        return cls(name, description, dict(parameters), strict)
