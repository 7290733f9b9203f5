"""Anthropic Messages API: ``encode`` (pure), ``decode`` (sans-IO), ``errors`` (pure) and the
thin ``adapter`` that wires them to the shared HTTP shell and guard."""

from llmport.adapters.anthropic.adapter import AnthropicAdapter
from llmport.adapters.anthropic.encode import AnthropicSettings

__all__ = ["AnthropicAdapter", "AnthropicSettings"]
