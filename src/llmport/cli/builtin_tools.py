"""Built-in tools that are safe to hand to a model: ``calculator``, ``clock``, ``read_file``.

``calculator`` parses the expression into Python's AST and walks a whitelist of nodes (numbers,
``+ - * / // % **``, parentheses and a few math functions); nothing is ever evaluated by
``eval``. Exponents and results are bounded so that ``9**9**9`` cannot hang the process.

``read_file`` reads text inside the working directory only: the path is resolved (symlinks
followed) and must stay under the resolved working directory; reads are capped at 64 KiB.

Each is a ``Tool`` built with ``@tool`` from its signature and docstring, like a user's own.
"""

from __future__ import annotations

import ast
import math
import operator
import os
import stat
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Final

from llmport.agent.tools import Tool, tool

__all__ = ["BUILTIN_TOOLS", "MAX_FILE_BYTES", "calculate", "calculator", "clock", "read_file"]

MAX_FILE_BYTES: Final = 64 * 1024
MAX_EXPRESSION: Final = 500
MAX_EXPONENT: Final = 10_000
MAX_MAGNITUDE: Final = 1e300
_MAX_DIGITS: Final = math.log10(MAX_MAGNITUDE)
MAX_ROUND_DIGITS: Final = 300

Number = int | float


def _round(value: Number, digits: int = 0) -> Number:
    # int.__round__ computes 10**-digits: round(7, -10**8) would hold the GIL for minutes.
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ValueError(f"the number of digits must be an integer within ±{MAX_ROUND_DIGITS}")
    return round(value, digits)


_BINARY: Final[dict[type[ast.operator], Callable[[Number, Number], Number]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # "2 ^ 10" means a power on a calculator
}
_UNARY: Final[dict[type[ast.unaryop], Callable[[Number], Number]]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: Final[dict[str, Callable[..., Number]]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS: Final[dict[str, float]] = {"pi": math.pi, "e": math.e}


class CalculatorError(ValueError):
    """The expression is not arithmetic the calculator accepts."""


def _check(value: Number) -> Number:
    if isinstance(value, complex):  # a fractional power of a negative number
        raise CalculatorError("the result is not a real number")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise CalculatorError("the result is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("the result is too large")
    return value


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse a power before computing it: ``(10**300)**10000`` would hold the GIL for seconds."""
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponents are limited to {MAX_EXPONENT}")
    if abs(base) > 1 and exponent * math.log10(abs(base)) > _MAX_DIGITS:
        raise CalculatorError("the result is too large")


def _evaluate(node: ast.AST) -> Number:
    match node:
        case ast.Expression(body=body):
            return _evaluate(body)
        case ast.Constant(value=value) if isinstance(value, int | float) and not isinstance(
            value, bool
        ):
            return _check(value)
        case ast.Name(id=name) if name in _CONSTANTS:
            return _CONSTANTS[name]
        case ast.UnaryOp(op=op, operand=operand) if type(op) in _UNARY:
            return _UNARY[type(op)](_evaluate(operand))
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            a, b = _evaluate(left), _evaluate(right)
            if isinstance(op, ast.Pow | ast.BitXor):
                _check_power(a, b)
            try:
                return _check(_BINARY[type(op)](a, b))
            except ZeroDivisionError:
                raise CalculatorError("division by zero") from None
            except OverflowError:
                raise CalculatorError("the result is too large") from None
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in _FUNCTIONS:
            try:
                return _check(_FUNCTIONS[name](*(_evaluate(a) for a in args)))
            except (TypeError, ValueError, OverflowError) as error:
                raise CalculatorError(f"{name}(): {error}") from None
    raise CalculatorError(f"unsupported element in the expression: {type(node).__name__}")


def _format(value: Number) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return format(value, ".12g")
    return str(value)


def calculate(expression: str) -> str:
    """Evaluate arithmetic safely; raises ``CalculatorError`` for anything else."""
    if len(expression) > MAX_EXPRESSION:
        raise CalculatorError(f"the expression is longer than {MAX_EXPRESSION} characters")
    cleaned = expression.replace("\u00d7", "*").replace("\u00f7", "/").strip().rstrip("=").strip()
    if not cleaned:
        raise CalculatorError("the expression is empty")
    try:
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError:
        raise CalculatorError(f"not an arithmetic expression: {expression!r}") from None
    return _format(_evaluate(tree))


def _with_examples(item: Tool, **examples: str) -> Tool:
    """Add JSON Schema ``examples`` to parameters: a small model copies their shape (measured on
    SmolLM2-135M: with one, it passes ``17 * 23`` rather than stopping at ``17``)."""
    parameters = dict(item.definition.parameters)
    properties = {name: dict(schema) for name, schema in parameters["properties"].items()}
    for name, example in examples.items():
        properties[name]["examples"] = [example]
    parameters["properties"] = properties
    item.definition = replace(item.definition, parameters=parameters)
    return item


@tool(name="calculator")
def _calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: the expression, e.g. 2 * (3 + 4)
    """
    return calculate(expression)


calculator = _with_examples(_calculator, expression="12 * 34 + 5")


@tool
def clock() -> str:
    """Get the current date and time."""
    now = datetime.now().astimezone()
    return now.strftime("%A %Y-%m-%d %H:%M:%S %Z (UTC%z)")


@tool
def read_file(path: str) -> str:
    """Read a text file in the working directory.

    Args:
        path: the file's path, relative to the working directory
    """
    root = Path.cwd().resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise PermissionError(f"{path!r} is outside the working directory")
    if not target.is_file():
        raise FileNotFoundError(f"no file {path!r} in the working directory")
    # Open without following a symlink and without blocking on a FIFO, then check what was
    # opened: a file swapped for a link, a pipe or a device after the checks above is refused.
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise PermissionError(f"{path!r} cannot be opened as a regular file") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise PermissionError(f"{path!r} is not a regular file")
        data = handle.read(MAX_FILE_BYTES + 1)
    if b"\x00" in data:
        raise ValueError(f"{path!r} is not a text file")
    text = data[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
    if len(data) > MAX_FILE_BYTES:
        text += f"\n[truncated at {MAX_FILE_BYTES // 1024} KiB]"
    return text


BUILTIN_TOOLS: Final[dict[str, Tool]] = {t.name: t for t in (calculator, clock, read_file)}
