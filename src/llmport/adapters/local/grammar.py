"""GBNF grammars that make a small model's tool calls well-formed by construction.

Two grammars drive a tool call:

``name_grammar(names)``      ``{"tool": "<one of the offered names>"`` and nothing else, so the
                             model can only pick a tool that exists;
``arguments_grammar(schema)`` the tool's JSON Schema compiled to GBNF (llama.cpp's own
                             converter), so the arguments always parse and match the schema's
                             types, required keys and enums.

A schema the converter cannot compile falls back to "any JSON object" (the arguments still
parse; the agent's validation reports a mismatch to the model) rather than failing the turn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llmport.adapters.local.template import TOOL_CALL_PREFIX, compact_schema, json_name

__all__ = ["ANY_OBJECT_GRAMMAR", "arguments_grammar", "gbnf_literal", "name_grammar"]

ANY_OBJECT_GRAMMAR: Final = r"""
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}"
array  ::= "[" ws ( value ( "," ws value )* )? "]"
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\"" ws
number ::= "-"? ( [0-9] | [1-9] [0-9]{0,15} ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )? ws
ws     ::= | " " | "\n" [ \t]{0,20}
"""


QUOTE: Final = '"'
_LOOSE_CHAR: Final = r'char ::= [^"\\]'
_STRICT_CHAR: Final = r'char ::= [^"\\{}\x7F\x00-\x1F]'


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def name_grammar(names: Sequence[str]) -> str:
    """The opening of a call: ``{"tool": "NAME"`` for one of ``names``."""
    if not names:
        raise ValueError("a tool call needs at least one tool")
    choices = " | ".join(gbnf_literal(json_name(n)) for n in names)
    return f"root ::= {gbnf_literal(TOOL_CALL_PREFIX)} ( {choices} ) {gbnf_literal(QUOTE)}\n"


def arguments_grammar(schema: Mapping[str, Any]) -> str:
    """GBNF for a JSON object matching ``schema`` (any JSON object when it cannot compile)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        grammar: str = json_schema_to_gbnf(json.dumps(compact_schema(schema)))
    except Exception:  # the converter rejects some schema features: stay well-formed anyway
        return ANY_OBJECT_GRAMMAR
    # The converter lets control characters into strings; strict JSON (json.loads) does not.
    return grammar.replace(_LOOSE_CHAR, _STRICT_CHAR)
