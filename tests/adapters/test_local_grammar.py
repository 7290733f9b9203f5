"""GBNF for tool names and schema-constrained arguments."""

from __future__ import annotations

import importlib.util

import pytest

from llmport.adapters.local.grammar import (
    ANY_OBJECT_GRAMMAR,
    arguments_grammar,
    gbnf_literal,
    name_grammar,
)

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"
)


def test_gbnf_literal_escapes_quotes_backslashes_and_newlines() -> None:
    assert gbnf_literal('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_name_grammar_allows_only_the_offered_names() -> None:
    grammar = name_grammar(["calculator", "clock"])
    assert grammar == 'root ::= "{\\"tool\\": \\"" ( "calculator" | "clock" ) "\\""\n'


def test_name_grammar_writes_names_as_json_would() -> None:
    assert '"we\\\\\\"ird"' in name_grammar(['we"ird'])


def test_name_grammar_needs_a_tool() -> None:
    with pytest.raises(ValueError, match="at least one"):
        name_grammar([])


@needs_llama
def test_arguments_grammar_follows_the_schema_and_keeps_strings_strict() -> None:
    grammar = arguments_grammar(
        {
            "type": "object",
            "properties": {
                "expression": {"type": "string", "description": "ignored"},
                "unit": {"enum": ["cm", "in"]},
            },
            "required": ["expression"],
        }
    )
    assert "expression" in grammar
    assert '"\\"cm\\""' in grammar
    # Control characters and braces cannot appear inside strings (strict JSON, small model).
    assert r'char ::= [^"\\{}\x7F\x00-\x1F]' in grammar
    assert "description" not in grammar


@needs_llama
def test_a_schema_the_converter_rejects_falls_back_to_any_object() -> None:
    grammar = arguments_grammar({"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}})
    assert grammar == ANY_OBJECT_GRAMMAR
