"""``OllamaAdapter``: Ollama's native API (``POST {base_url}/api/chat``, NDJSON), ``ollama:``.

The base URL is ``base_url=``, else ``OLLAMA_HOST`` (Ollama's own convention: a bare
``host:port`` or ``host`` means ``http://``, port 11434 when none is given), else
``http://127.0.0.1:11434``. No key by default; ``api_key=`` (or ``OLLAMA_API_KEY``) is sent as a
bearer token, for Ollama behind a proxy or Ollama's cloud. The body is NDJSON (asked for with
``accept: application/x-ndjson``); encode, decode and errors are beside this file.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from llmport.adapters.ollama.decode import OllamaDecoder
from llmport.adapters.ollama.encode import OllamaSettings, encode_ollama
from llmport.adapters.ollama.errors import PROVIDER, ollama_error_mapper
from llmport.core.adapter import HttpAdapter
from llmport.core.wire import KeySpec, Wire

__all__ = ["DEFAULT_BASE_URL", "OLLAMA_WIRE", "OllamaAdapter", "from_model_string", "host_url"]

DEFAULT_BASE_URL: Final = "http://127.0.0.1:11434"
DEFAULT_PORT: Final = 11434


def host_url(host: str) -> str:
    """A base URL from an ``OLLAMA_HOST``-style value: ``host``, ``host:port`` or a URL."""
    value = host.strip()
    if "://" not in value:
        value = f"http://{value}"
    parts = urlsplit(value)
    if parts.hostname and parts.port is None and parts.scheme == "http":
        value = parts._replace(netloc=f"{parts.netloc}:{DEFAULT_PORT}").geturl()
    return value


def _chat_url(base_url: str, model: str) -> str:
    return f"{base_url}/api/chat"


OLLAMA_WIRE: Final = Wire(
    name="ollama",
    provider=PROVIDER,
    default_base_url=DEFAULT_BASE_URL,
    url=_chat_url,
    encode=encode_ollama,
    decoder=OllamaDecoder,
    error_mapper=ollama_error_mapper,
    key=KeySpec("authorization", ("OLLAMA_API_KEY",), "Bearer ", required=False),
    base_url_env=("OLLAMA_HOST",),
    normalize_base_url=host_url,
    settings=OllamaSettings,
    framing="ndjson",
    accept="application/x-ndjson",
)


class OllamaAdapter(HttpAdapter):
    """A streaming chat port over Ollama's native ``/api/chat``.

    Takes every ``HttpAdapter`` keyword plus ``keep_alive=`` and ``model_options=``.
    """

    def __init__(self, model: str, **options: Any) -> None:
        super().__init__(OLLAMA_WIRE, model, **options)


def from_model_string(model: str, **options: Any) -> OllamaAdapter:
    """``connect("ollama:qwen3:4b", keep_alive="10m", ...)``."""
    return OllamaAdapter(model, **options)
