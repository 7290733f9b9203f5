"""The built-in tools: a calculator that never evaluates code, a clock, a confined file reader."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmport import ToolCall, ToolRegistry
from llmport.cli import builtin_tools
from llmport.cli.builtin_tools import (
    BUILTIN_TOOLS,
    MAX_FILE_BYTES,
    CalculatorError,
    calculate,
    clock,
    read_file,
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("12.5 * 4 + 7", "57"),
        ("17 * 23", "391"),
        ("1234 * 5678", "7006652"),
        ("(3 + 4) * 5", "35"),
        ("2 ** 10", "1024"),
        ("2 ^ 10", "1024"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("-7 % 3", "2"),
        ("sqrt(16) + abs(-2)", "6"),
        ("round(pi, 2)", "3.14"),
        ("1 / 3", "0.333333333333"),
        ("3 \u00d7 4 =", "12"),
        ("max(1, 5, 3)", "5"),
    ],
)
def test_arithmetic(expression: str, expected: str) -> None:
    assert calculate(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo pwned')",
        "open('/etc/passwd').read()",
        "(1).__class__",
        "[1, 2]",
        "'a' * 3",
        "x + 1",
        "lambda: 1",
        "True + 1",
        "exec('1')",
        "sqrt(x=4)",
        "",
        "1 +",
    ],
)
def test_anything_but_arithmetic_is_refused(expression: str) -> None:
    with pytest.raises(CalculatorError):
        calculate(expression)


@pytest.mark.parametrize("expression", ["9 ** 9 ** 9", "10 ** 400", "1e308 * 10", "2 ** 100000"])
def test_huge_numbers_are_refused_quickly(expression: str) -> None:
    with pytest.raises(CalculatorError, match="large|limited|finite"):
        calculate(expression)


@pytest.mark.parametrize(
    "expression", ["(10 ** 300) ** 10000", "9" * 290 + " ** 9999", "(-2) ** 2000", "2.5 ** 9000"]
)
def test_a_power_too_large_to_return_is_refused_without_computing_it(
    expression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[tuple[object, object]] = []

    def spy(a: int | float, b: int | float) -> int | float:
        computed.append((a, b))
        return a**b

    monkeypatch.setitem(builtin_tools._BINARY, ast.Pow, spy)
    with pytest.raises(CalculatorError, match="too large"):
        calculate(expression)
    # Only the small inner powers ran: a huge one would hold the GIL for seconds.
    assert all(b <= 300 for _, b in computed), computed


@pytest.mark.parametrize("expression", ["(-8) ** 0.5", "(-1) ** (1 / 3)", "(-8) ** 0.5 % 2"])
def test_a_power_with_a_complex_result_is_refused(expression: str) -> None:
    with pytest.raises(CalculatorError, match="not a real number"):
        calculate(expression)


def test_round_to_an_absurd_number_of_digits_is_refused() -> None:
    # round(7, -10**8) computes 10**(10**8) inside int.__round__: minutes with the GIL held.
    with pytest.raises(CalculatorError, match="digits"):
        calculate("round(7, -10**8)")
    with pytest.raises(CalculatorError, match="digits"):
        calculate("round(7.5, 10**9)")
    assert calculate("round(1234.5678, -2)") == "1200"
    assert calculate("round(2.675, 1)") == "2.7"


def test_a_number_too_large_is_refused_even_as_a_literal() -> None:
    with pytest.raises(CalculatorError, match="too large"):
        calculate("9" * 400)
    assert calculate("2 ** 0.5 * 2 ** 0.5") == "2"
    assert calculate("0.5 ** 1000") == "9.33263618503e-302"
    assert calculate("10 ** -3") == "0.001"


def test_division_by_zero_and_long_input_are_clear_errors() -> None:
    with pytest.raises(CalculatorError, match="division by zero"):
        calculate("1 / 0")
    with pytest.raises(CalculatorError, match="longer than"):
        calculate("1+" * 300 + "1")


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_integer_arithmetic_matches_python(a: int, b: int) -> None:
    assert calculate(f"{a} + {b}") == str(a + b)
    assert calculate(f"({a}) * ({b})") == str(a * b)


def test_clock_reports_the_date_and_time() -> None:
    assert re.match(r"^\w+day \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ", clock())


def test_read_file_reads_inside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello notes", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("deeper", encoding="utf-8")
    assert read_file("notes.txt") == "hello notes"
    assert read_file("sub/../sub/a.txt") == "deeper"


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "sub/../../secret.txt"])
def test_read_file_refuses_paths_outside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    monkeypatch.chdir(work)
    with pytest.raises(PermissionError, match="outside the working directory"):
        read_file(path)


def test_read_file_does_not_follow_a_symlink_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", work / "link.txt")
    monkeypatch.chdir(work)
    with pytest.raises(PermissionError):
        read_file("link.txt")


def test_read_file_caps_size_and_refuses_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.txt").write_text("x" * (MAX_FILE_BYTES + 10), encoding="utf-8")
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\x02")
    text = read_file("big.txt")
    assert text.startswith("x" * MAX_FILE_BYTES)
    assert text.endswith("[truncated at 64 KiB]")
    with pytest.raises(ValueError, match="not a text file"):
        read_file("bin.dat")
    with pytest.raises(FileNotFoundError):
        read_file("missing.txt")


async def test_a_refused_read_is_an_error_result_for_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    registry = ToolRegistry(BUILTIN_TOOLS.values())
    result = await registry.execute(ToolCall("c1", "read_file", {"path": "../../etc/passwd"}))
    assert result.is_error
    assert "outside the working directory" in result.content
    assert "root:" not in result.content


def test_the_calculator_schema_carries_an_example() -> None:
    schema = BUILTIN_TOOLS["calculator"].definition.parameters
    assert schema["properties"]["expression"]["examples"] == ["12 * 34 + 5"]
    assert sorted(BUILTIN_TOOLS) == ["calculator", "clock", "read_file"]


def test_read_file_refuses_a_file_swapped_for_a_pipe_after_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: the path passed is_file(), then became a FIFO. Opening must neither block on
    # the pipe nor read it.
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "swapped")
    monkeypatch.setattr(Path, "is_file", lambda self: True)
    with pytest.raises(PermissionError, match="not a regular file"):
        read_file("swapped")
