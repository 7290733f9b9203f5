"""The OpenAI Responses API: ``connect("openai-responses:MODEL")``."""

from llmport.adapters.openai_responses.wire import (
    RESPONSES_WIRE,
    OpenAIResponsesAdapter,
    from_model_string,
)

__all__ = ["RESPONSES_WIRE", "OpenAIResponsesAdapter", "from_model_string"]
