"""The Gemini API (``streamGenerateContent``): ``connect("gemini:MODEL")``."""

from llmport.adapters.gemini.wire import GEMINI_WIRE, GeminiAdapter, from_model_string

__all__ = ["GEMINI_WIRE", "GeminiAdapter", "from_model_string"]
