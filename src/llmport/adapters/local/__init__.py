"""The embedded local model: a GGUF run in process by llama.cpp (``connect("local")``).

Modules: ``model`` (finding and loading the GGUF), ``template`` (ChatML rendering, pure),
``grammar`` (GBNF for tool names and schema-constrained arguments), ``worker`` (the generation
thread bridged to asyncio), ``engine`` (one turn: answer, tool call, automatic choice) and
``adapter`` (``LocalLlamaAdapter``). Importing this package does not import llama.cpp.
"""

from llmport.adapters.local.adapter import LocalLlamaAdapter, from_model_string

__all__ = ["LocalLlamaAdapter", "from_model_string"]
