"""Ollama's native NDJSON API (``/api/chat``): ``connect("ollama:MODEL")``."""

from llmport.adapters.ollama.wire import OLLAMA_WIRE, OllamaAdapter, from_model_string

__all__ = ["OLLAMA_WIRE", "OllamaAdapter", "from_model_string"]
