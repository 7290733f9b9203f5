"""``OllamaAdapter``'s declaration: base URL from ``OLLAMA_HOST`` as Ollama reads it, no key by
default, an optional bearer key, ``connect("ollama:...")``."""

from __future__ import annotations

import pytest

from llmport import connect
from llmport.adapters.ollama import OllamaAdapter
from llmport.adapters.ollama.wire import host_url

KEY = "ollama-SENTINEL-key-123"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:11434"),
        ("gpu-box:9000", "http://gpu-box:9000"),
        ("0.0.0.0:11434", "http://0.0.0.0:11434"),
        ("http://ollama.internal", "http://ollama.internal:11434"),
        ("https://ollama.example", "https://ollama.example"),
        ("https://ollama.example/proxy/", "https://ollama.example/proxy/"),
        ("[::1]:11434", "http://[::1]:11434"),
    ],
)
def test_ollama_host_values_as_ollama_reads_them(host: str, url: str) -> None:
    assert host_url(host) == url


def test_base_url_default_environment_and_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert OllamaAdapter("m").url == "http://127.0.0.1:11434/api/chat"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:9000")
    assert OllamaAdapter("m").url == "http://gpu-box:9000/api/chat"
    assert OllamaAdapter("m", base_url="localhost:1234").url == "http://localhost:1234/api/chat"


def test_no_key_by_default_and_an_optional_bearer_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    assert "authorization" not in OllamaAdapter("m").shell.redacted_headers()
    port = OllamaAdapter("m", api_key=KEY)
    assert port.shell.redacted_headers()["authorization"] != f"Bearer {KEY}"
    assert KEY not in repr(port) and KEY not in repr(port.shell)
    assert port.shell.build_headers()["authorization"] == f"Bearer {KEY}"


def test_connect_keeps_the_colon_of_the_model_tag() -> None:
    port = connect("ollama:qwen3:4b", keep_alive="1m")
    assert isinstance(port, OllamaAdapter)
    assert port.model == "qwen3:4b"
    assert port.request_body([])["keep_alive"] == "1m"


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(TypeError, match="keep_alife"):
        OllamaAdapter("m", keep_alife="1m")
