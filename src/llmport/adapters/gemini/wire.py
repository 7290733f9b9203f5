"""``GeminiAdapter``: the Gemini API, ``connect("gemini:MODEL")``.

``POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse``; ``base_url`` defaults
to ``https://generativelanguage.googleapis.com`` (``GOOGLE_GEMINI_BASE_URL`` overrides, as the
google-genai SDK reads it). The key is ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``), sent in the
``x-goog-api-key`` header and **never in the URL**: a key in a URL leaks through every error
message and log line that prints it. The body is framed by its content type: SSE with
``alt=sse``, and the incremental JSON array Gemini writes without it (a proxy may drop the
query). Encode, decode and errors are beside this file.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from llmport.adapters.gemini.decode import GeminiDecoder
from llmport.adapters.gemini.encode import encode_gemini
from llmport.adapters.gemini.errors import PROVIDER, gemini_error_mapper
from llmport.core.adapter import HttpAdapter
from llmport.core.http_settings import Framing
from llmport.core.wire import KeySpec, Wire

__all__ = ["GEMINI_WIRE", "GeminiAdapter", "from_model_string"]


def _url(base_url: str, model: str) -> str:
    name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
    return f"{base_url}/v1beta/{quote(name, safe='/')}:streamGenerateContent?alt=sse"


def framing_for(content_type: str) -> Framing:
    return "sse" if "text/event-stream" in content_type.lower() else "json-array"


GEMINI_WIRE: Final = Wire(
    name="gemini",
    provider=PROVIDER,
    default_base_url="https://generativelanguage.googleapis.com",
    url=_url,
    encode=encode_gemini,
    decoder=GeminiDecoder,
    error_mapper=gemini_error_mapper,
    key=KeySpec("x-goog-api-key", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    base_url_env=("GOOGLE_GEMINI_BASE_URL",),
    framing_for=framing_for,
)


class GeminiAdapter(HttpAdapter):
    """A streaming chat port over the Gemini API (``streamGenerateContent``)."""

    def __init__(self, model: str, **options: Any) -> None:
        super().__init__(GEMINI_WIRE, model, **options)


def from_model_string(model: str, **options: Any) -> GeminiAdapter:
    """``connect("gemini:gemini-2.5-flash", ...)``."""
    return GeminiAdapter(model, **options)
