"""llmport stream events as LangChain ``AIMessageChunk``s (sans-IO: feed events, get chunks).

Text and reasoning stream as they come. Tool calls are held back until ``Done`` and handed over
whole, only when the turn really ended to call tools (``TOOL_CALLS`` and every call complete):
a turn cut by ``LENGTH`` (or a malformed call) raises ``IncompleteToolCallsError`` instead of
giving LangChain a call with truncated arguments. The last chunk carries the usage, the finish
reason, the model and response id, and ``chunk_position="last"``.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk

from llmport.domain.events import (
    Done,
    FinishReason,
    LlmStreamEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from llmport.domain.messages import ToolCall

__all__ = ["ChunkMaker", "IncompleteToolCallsError", "usage_metadata"]


class IncompleteToolCallsError(ValueError):
    """The model's tool calls were cut (e.g. by ``max_tokens``): not handed to LangChain."""

    def __init__(self, finish_reason: FinishReason, calls: tuple[ToolCall, ...]) -> None:
        names = ", ".join(c.name for c in calls) or "none"
        super().__init__(
            f"the model's turn ended with {finish_reason.value!r} while calling tools "
            f"({names}); the calls are incomplete and were not returned"
        )
        self.finish_reason = finish_reason
        self.calls = calls


def usage_metadata(usage: Usage) -> UsageMetadata:
    metadata = UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )
    if usage.cached_input_tokens:
        metadata["input_token_details"] = {"cache_read": usage.cached_input_tokens}
    if usage.reasoning_tokens:
        metadata["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return metadata


class ChunkMaker:
    """Turns one stream's events into chunks; ``provider``/``model`` fill the metadata."""

    def __init__(self, *, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model

    def chunk(self, event: LlmStreamEvent) -> AIMessageChunk | None:
        """The chunk for one event (None for a tool-call fragment, held until ``Done``)."""
        if isinstance(event, TextDelta):
            return AIMessageChunk(content=event.text) if event.text else None
        if isinstance(event, ReasoningDelta):
            if not event.text:
                return None
            return AIMessageChunk(content="", additional_kwargs={"reasoning_content": event.text})
        if isinstance(event, ToolCallDelta):
            return None
        return self.last(event)

    def last(self, done: Done) -> AIMessageChunk:
        calls = done.message.tool_calls
        if calls and (
            done.finish_reason is not FinishReason.TOOL_CALLS or not all(c.complete for c in calls)
        ):
            raise IncompleteToolCallsError(done.finish_reason, calls)
        metadata: dict[str, Any] = {
            "finish_reason": done.finish_reason.value,
            "model_name": done.model or self.model,
            "model_provider": self.provider,
        }
        if done.raw_finish_reason is not None:
            metadata["raw_finish_reason"] = done.raw_finish_reason
        if done.stop_sequence is not None:
            metadata["stop_sequence"] = done.stop_sequence
        if done.response_id is not None:
            metadata["id"] = done.response_id
        chunks = [
            tool_call_chunk(
                name=call.name,
                args=json.dumps(dict(call.arguments), ensure_ascii=False),
                id=call.id,
                index=index,
            )
            for index, call in enumerate(calls)
        ]
        return AIMessageChunk(
            content="",
            tool_call_chunks=chunks,
            usage_metadata=usage_metadata(done.usage) if done.usage is not None else None,
            response_metadata=metadata,
            chunk_position="last",
        )
