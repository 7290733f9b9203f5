"""``@tool``: a typed Python function becomes a tool the model can call, safely.

The JSON Schema comes from the signature (via pydantic, loaded only when a tool is defined),
the description from the docstring's first paragraph, and per-parameter descriptions from its
``Args:`` section (Google style) or ``:param x:`` lines. The model's arguments are validated
against the same model before the function runs: a wrong type or an unknown argument is an
error result for the model, never a call with bad data. Nothing the model sends is evaluated.

``ToolRegistry`` is the ``ToolExecutorPort`` over a set of tools: it turns every failure
(unknown tool, invalid arguments, an exception, a timeout, unshowable output) into a short
``ToolMessage(is_error=True)`` without traceback, and caps output at 64 KiB.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from llmport.agent.output import MAX_ERROR_BYTES, ToolOutputError, cap, serialize_output
from llmport.domain.messages import ToolCall, ToolMessage
from llmport.domain.tools import ToolDefinition

__all__ = [
    "Tool",
    "ToolArgumentsError",
    "ToolRegistry",
    "cancelling",
    "error_result",
    "short_error",
    "timeout_text",
    "tool",
]

_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Returns|Return|Raises|Yields|Examples?|Notes?):\s*$"
)
_ARG_LINE = re.compile(r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_PARAM_LINE = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


class ToolArgumentsError(ValueError):
    """The model's arguments do not match the tool's parameters."""


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google-style or reST docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        header = _SECTION.match(line)
        if header:
            section = header.group(1)
            current = None
            continue
        param = _PARAM_LINE.match(line)
        if param:
            section, current = "reST", param.group(1)
            params[current] = param.group(2).strip()
            continue
        if section is None:
            description.append(line)
        elif section in ("Args", "Arguments", "Parameters"):
            match = _ARG_LINE.match(line)
            if match and (line.startswith(" ") or not line.strip().startswith(":")):
                indent = len(line) - len(line.lstrip())
                if current is None or indent <= 4:
                    current = match.group(1)
                    params[current] = match.group(2).strip()
                    continue
            if current is not None and line.strip():
                params[current] = f"{params[current]} {line.strip()}".strip()
        elif section == "reST" and current is not None and line.strip():
            params[current] = f"{params[current]} {line.strip()}".strip()
    text = "\n".join(description).strip()
    first_paragraph = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    return first_paragraph, params


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _strip_titles(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_strip_titles(item) for item in schema]
    return schema


class Tool:
    """A function the model may call, with its definition and argument validation."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        strict: bool | None = None,
    ) -> None:
        from pydantic import ConfigDict, Field, create_model

        self.function = function
        self.name = name or function.__name__
        self.timeout = timeout
        self.is_async = inspect.iscoroutinefunction(function)
        doc_description, doc_params = parse_docstring(function.__doc__)
        signature = inspect.signature(function)
        try:
            hints = inspect.get_annotations(function, eval_str=True)
        except Exception as error:
            raise TypeError(
                f"tool {self.name!r}: cannot resolve its type hints: {error}"
            ) from error
        fields: dict[str, Any] = {}
        for parameter in signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"tool {self.name!r}: *args/**kwargs parameters are not supported")
            annotation = hints.get(parameter.name, Any)
            default = ... if parameter.default is parameter.empty else parameter.default
            fields[parameter.name] = (
                annotation,
                Field(default, description=doc_params.get(parameter.name)),
            )
        self._model = create_model(
            f"{self.name}_arguments",
            __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
            **fields,
        )
        schema = _strip_titles(self._model.model_json_schema())
        schema.setdefault("properties", {})
        self.definition = ToolDefinition(
            name=self.name,
            description=description if description is not None else doc_description,
            parameters=schema,
            strict=strict,
        )

    @property
    def description(self) -> str:
        return self.definition.description

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (no validation)."""
        return self.function(*args, **kwargs)

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The function's keyword arguments, or ``ToolArgumentsError`` saying what is wrong."""
        from pydantic import ValidationError

        try:
            parsed = self._model.model_validate(dict(arguments))
        except ValidationError as error:
            problems = []
            for item in error.errors()[:5]:
                where = ".".join(str(part) for part in item["loc"]) or "arguments"
                problems.append(f"{where}: {item['msg']}")
            raise ToolArgumentsError("; ".join(problems)) from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    async def invoke(self, arguments: Mapping[str, Any]) -> Any:
        """Validate ``arguments`` and run the function (a sync one in a worker thread)."""
        kwargs = self.validate(arguments)
        if self.is_async:
            return await self.function(**kwargs)
        result = await asyncio.to_thread(self.function, **kwargs)
        if inspect.isawaitable(result):
            return await result
        return result


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    strict: bool | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    strict: bool | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a tool of a typed function: ``@tool`` or ``@tool(name=..., timeout=...)``."""
    if function is not None:
        return Tool(function, name=name, description=description, timeout=timeout, strict=strict)

    def decorate(fn: Callable[..., Any]) -> Tool:
        return Tool(fn, name=name, description=description, timeout=timeout, strict=strict)

    return decorate


def cancelling() -> bool:
    """Whether the current task is being cancelled (not a tool raising ``CancelledError``)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def error_result(call: ToolCall, text: str) -> ToolMessage:
    """The short error result the model gets for ``call``."""
    return ToolMessage(call.id, cap(text, MAX_ERROR_BYTES), is_error=True, name=call.name)


def timeout_text(call: ToolCall, seconds: float | None) -> str:
    return f"ToolTimeout: {call.name!r} did not finish within {seconds:g} s"


def short_error(error: BaseException) -> str:
    text = str(error).strip()
    return cap(f"{type(error).__name__}: {text}" if text else type(error).__name__, MAX_ERROR_BYTES)


class ToolRegistry:
    """The ``ToolExecutorPort`` over a set of ``Tool`` objects (or plain functions)."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool | Callable[..., Any]) -> Tool:
        """Add a tool (a plain function is wrapped with ``tool``); names must be unique."""
        new = item if isinstance(item, Tool) else tool(item)
        if new.name in self._tools:
            raise ValueError(f"two tools are named {new.name!r}")
        self._tools[new.name] = new
        return new

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def list_tools(self) -> Sequence[ToolDefinition]:
        return [t.definition for t in self._tools.values()]

    async def execute(self, call: ToolCall) -> ToolMessage:
        """Run one call; every failure is an error result, never an exception."""
        found = self._tools.get(call.name)
        if found is None:
            available = ", ".join(sorted(self._tools)) or "none"
            return error_result(call, f"unknown tool {call.name!r}; available: {available}")
        scope = asyncio.timeout(found.timeout)
        try:
            async with scope:
                value = await found.invoke(call.arguments)
            return ToolMessage(call.id, serialize_output(value), name=call.name)
        except ToolArgumentsError as error:
            return error_result(call, f"invalid arguments for {call.name!r}: {error}")
        except TimeoutError as error:
            if not scope.expired():  # the tool's own TimeoutError (a socket, a lock ...)
                return error_result(call, short_error(error))
            return error_result(call, timeout_text(call, found.timeout))
        except ToolOutputError as error:
            return error_result(call, f"ToolOutputError: {error}")
        except asyncio.CancelledError as error:
            if cancelling():
                raise
            return error_result(call, short_error(error))
        except Exception as error:
            return error_result(call, short_error(error))
