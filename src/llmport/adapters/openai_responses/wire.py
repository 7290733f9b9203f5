"""``OpenAIResponsesAdapter``: the Responses API (``POST {base_url}/responses``, streamed),
``connect("openai-responses:MODEL")``.

The API OpenAI recommends, served by OpenAI, Azure, DeepSeek, xAI, AWS Bedrock and llama.cpp's
own server. ``base_url`` follows the OpenAI SDK (``https://api.openai.com/v1``,
``http://127.0.0.1:8080/v1``; ``OPENAI_BASE_URL``); the key is ``OPENAI_API_KEY``, optional for a
custom ``base_url``. Encode and decode are beside this file; HTTP errors map like the Chat
adapter's (the shared OpenAI-compatible codec).
"""

from __future__ import annotations

from typing import Any, Final

from llmport.adapters.openai_compat import openai_error_mapper
from llmport.adapters.openai_responses.decode import ResponsesDecoder
from llmport.adapters.openai_responses.encode import ResponsesSettings, encode_responses
from llmport.core.adapter import HttpAdapter
from llmport.core.wire import KeySpec, Wire

__all__ = ["RESPONSES_WIRE", "OpenAIResponsesAdapter", "from_model_string"]


def _responses_url(base_url: str, model: str) -> str:
    return f"{base_url}/responses"


RESPONSES_WIRE: Final = Wire(
    name="openai-responses",
    provider="openai",
    default_base_url="https://api.openai.com/v1",
    url=_responses_url,
    encode=encode_responses,
    decoder=ResponsesDecoder,
    error_mapper=openai_error_mapper,
    key=KeySpec("authorization", ("OPENAI_API_KEY",), "Bearer ", optional_off_default=True),
    base_url_env=("OPENAI_BASE_URL",),
    settings=ResponsesSettings,
)


class OpenAIResponsesAdapter(HttpAdapter):
    """A streaming chat port over the Responses API.

    Takes every ``HttpAdapter`` keyword plus ``store=``, ``previous_response_id=``,
    ``include=`` and ``service_tier=`` (stateless by default: ``store=False`` with encrypted
    reasoning sent back).
    """

    def __init__(self, model: str, **options: Any) -> None:
        super().__init__(RESPONSES_WIRE, model, **options)


def from_model_string(model: str, **options: Any) -> OpenAIResponsesAdapter:
    """``connect("openai-responses:gpt-5", ...)``."""
    return OpenAIResponsesAdapter(model, **options)
