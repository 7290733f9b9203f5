"""``ChatLlmport``: any llmport port as a LangChain ``BaseChatModel``.

``ChatLlmport("openai:gpt-4o")`` connects lazily (a model string, as ``connect()`` takes it);
``ChatLlmport(port)`` uses a port you built. It streams ``AIMessageChunk``s from the port (see
``llmport.langchain.chunks``), binds tools and ``tool_choice``, does structured output through
the port's ``response_format`` (``method="json_schema"``, the default) or a forced tool call
(``method="function_calling"``), and maps every per-call setting onto ``CallOptions``: the
model's fields (``temperature``, ``max_tokens`` ...), ``invoke(..., stop=[...])``, any
``CallOptions`` field as a keyword, or ``options=CallOptions(...)`` whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import agenerate_from_stream, generate_from_stream
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from llmport.domain.options import CallOptions
from llmport.langchain.chunks import ChunkMaker
from llmport.langchain.messages import to_messages, to_tool_choice, to_tools
from llmport.langchain.sync import iterate
from llmport.ports import LlmCompletionPort

__all__ = ["ChatLlmport"]

_OPTION_FIELDS = frozenset(CallOptions.field_names())


def _closed(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that lists its
    properties and says nothing else: structured output means exactly these fields (a pydantic
    v1 or hand-written schema leaves it open, and constrained decoders then allow any key)."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def _options_of(values: Mapping[str, Any]) -> CallOptions:
    return CallOptions(**{k: v for k, v in values.items() if v is not None})


def _is_pydantic_class(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


class ChatLlmport(BaseChatModel):
    """A LangChain chat model over an llmport port (or a ``connect()`` model string)."""

    model: str | None = None
    """A ``connect()`` model string (``"openai:gpt-4o"``, ``"local"`` ...); or pass ``port``."""
    port: Any = Field(default=None, exclude=True)
    """A ready ``LlmCompletionPort`` (wins over ``model``)."""
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float | None = None
    """A deadline for each whole call, in seconds (the adapter's ``deadline=``)."""
    max_retries: int | None = None
    connect_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Anything else for ``connect()`` (the adapter's own keywords)."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    reasoning: str | int | None = None
    call_options: CallOptions | None = Field(default=None, exclude=True)
    """Per-call options sent with every call (the fields above win over it)."""
    streaming: bool = False

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    _ports: dict[str, LlmCompletionPort] = PrivateAttr(default_factory=dict)

    def __init__(self, port_or_model: Any = None, /, **kwargs: Any) -> None:
        if isinstance(port_or_model, str):
            kwargs.setdefault("model", port_or_model)
        elif port_or_model is not None:
            kwargs.setdefault("port", port_or_model)
        super().__init__(**kwargs)
        if self.port is None and not self.model:
            raise ValueError("ChatLlmport needs a port or a model string (e.g. 'openai:gpt-4o')")
        if self.port is not None and not isinstance(self.port, LlmCompletionPort):
            raise TypeError(f"ChatLlmport(port=...) needs an LlmCompletionPort, not {self.port!r}")

    # --- identity ----------------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "llmport"

    @property
    def provider(self) -> str:
        if self.port is not None:
            return str(getattr(self.port, "provider", None) or type(self.port).__name__)
        return (self.model or "").partition(":")[0]

    @property
    def model_name(self) -> str:
        if self.port is not None:
            name = getattr(self.port, "model", None)
            return str(name) if name else self.provider
        return self.model or ""

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model_name}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self.provider or "llmport",
            ls_model_name=str(kwargs.get("model") or self.model_name or "unknown"),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = float(temperature)
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = int(max_tokens)
        stops = stop or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    # --- the port ----------------------------------------------------------------------------

    def _port(self, model: str | None) -> LlmCompletionPort:
        if self.port is not None:
            if model is not None and model != self.model_name:
                raise ValueError(
                    "a per-call model= needs ChatLlmport('provider:model'), not a ready port"
                )
            port: LlmCompletionPort = self.port
            return port
        target = self.model or ""
        if model:
            prefix = target.partition(":")[0]
            target = model if ":" in model else f"{prefix}:{model}"
        found = self._ports.get(target)
        if found is None:
            from llmport.connect import connect

            settings: dict[str, Any] = dict(self.connect_kwargs)
            if self.api_key is not None:
                settings["api_key"] = self.api_key.get_secret_value()
            if self.base_url is not None:
                settings["base_url"] = self.base_url
            if self.max_retries is not None:
                settings["max_retries"] = self.max_retries
            if self.timeout is not None:
                settings["deadline"] = self.timeout
            found = connect(target, **settings)
            self._ports[target] = found
        return found

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> CallOptions | None:
        """This call's options: the model's fields (over ``call_options``), then a per-call
        ``options=``, then per-call keywords and ``stop`` (the most specific wins)."""
        fields: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": tuple(self.stop) if self.stop else None,
            "seed": self.seed,
            "reasoning": self.reasoning,
        }
        whole = CallOptions.coerce(kwargs.pop("options", None))
        given: dict[str, Any] = {}
        if "tool_choice" in kwargs:
            given["tool_choice"] = to_tool_choice(kwargs.pop("tool_choice"))
        for name in list(kwargs):
            if name in _OPTION_FIELDS:
                given[name] = kwargs.pop(name)
        if stop:
            given["stop"] = tuple(stop)
        if kwargs:
            raise TypeError(f"ChatLlmport got unexpected keyword(s): {', '.join(sorted(kwargs))}")
        merged = (
            (self.call_options or CallOptions())
            .merged(_options_of(fields))
            .merged(whole)
            .merged(_options_of(given))
        )
        return merged if merged.set_names() else None

    async def _chunks(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> AsyncIterator[ChatGenerationChunk]:
        kwargs = dict(kwargs)
        model = kwargs.pop("model", None)
        tools = to_tools(kwargs.pop("tools", None) or ())
        options = self._options(stop, kwargs)
        port = self._port(model)
        maker = ChunkMaker(provider=self.provider, model=model or self.model_name)
        history = to_messages(messages)
        if options is None:
            stream = await port.chat_stream(history, tools)
        else:
            stream = await port.chat_stream(history, tools, options=options)
        async with stream:
            async for event in stream:
                chunk = maker.chunk(event)
                if chunk is not None:
                    yield ChatGenerationChunk(message=chunk)

    # --- BaseChatModel -----------------------------------------------------------------------

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in self._chunks(messages, stop, kwargs):
            if run_manager is not None and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in iterate(self._chunks(messages, stop, kwargs)):
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    # --- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | Mapping[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` to the model; ``tool_choice``: "auto", "none", "any"/"required"/True,
        or a tool's name."""
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        choice = to_tool_choice(tool_choice)
        if choice not in (None, "auto", "none", "required"):
            names = [t["function"]["name"] for t in formatted]
            if choice not in names:
                raise ValueError(f"tool_choice {choice!r} is not one of the tools: {names}")
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers that follow ``schema`` (a pydantic class, a TypedDict or a JSON Schema)."""
        if kwargs:
            raise ValueError(f"unsupported arguments {sorted(kwargs)}")
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        parser: Runnable[Any, Any]
        if method == "function_calling":
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema], tool_choice=name, strict=strict, ls_structured_output_format=trace
            )
            if _is_pydantic_class(schema):
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method in ("json_schema", "json_mode"):
            response_format: dict[str, Any] = (
                _closed(convert_to_json_schema(schema))
                if method == "json_schema"
                else {"type": "object"}
            )
            llm = self.bind(response_format=response_format, ls_structured_output_format=trace)
            if _is_pydantic_class(schema):
                parser = PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
            else:
                parser = JsonOutputParser()
        else:
            raise ValueError(f"unknown structured output method {method!r}")
        if not include_raw:
            return llm | parser
        assign = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | assign.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )
