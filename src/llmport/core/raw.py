"""What an adapter's decoder hands to the guard.

A decoder turns provider frames into ``RawEvent`` items: the public deltas (forwarded to the
consumer as they are) plus a few signals only the guard sees:

``Usage``         the turn's usage so far (the latest one wins; the adapter merges partial reports)
``Finish``        the provider's finish reason, normalised, with its raw value
``End``           the provider's own end marker arrived: the guard emits ``Done`` now
``RefusalDelta``  refusal text the provider marked as such (forwarded as ``TextDelta``)
``ProviderBlock`` provider-side content kept on the message, not interpreted
``ResponseInfo``  the provider's response id and model name
``ToolCallData``  opaque provider data for one tool call (Gemini's ``thoughtSignature``, a
                  Responses item id), merged into that call's ``ToolCall.provider_data``
``ToolCallArguments`` the complete, authoritative argument text of one call (a ``.done`` event):
                  it replaces whatever the call's deltas built
``MessageLayout`` what the adapter needs to send the turn back exactly (merged into
                  ``AssistantMessage.layout``)

Only the guard builds ``Done``: a source that ends without ``End`` is a truncated stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from llmport.domain.events import FinishReason, ReasoningDelta, TextDelta, ToolCallDelta, Usage

__all__ = [
    "END",
    "End",
    "Finish",
    "ProviderBlock",
    "RawEvent",
    "RefusalDelta",
    "ResponseInfo",
    "ToolCallArguments",
    "ToolCallData",
    "MessageLayout",
]


@dataclass(frozen=True, slots=True)
class Finish:
    """The provider's finish reason: normalised ``reason`` and its ``raw`` value."""

    reason: FinishReason
    raw: str | None
    stop_sequence: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class End:
    """The provider's end marker (``[DONE]``, ``message_stop``, ``done: true`` ...)."""


END: Final = End()


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A fragment of a refusal the provider marked as such (OpenAI ``delta.refusal``)."""

    text: str


@dataclass(frozen=True, slots=True)
class ProviderBlock:
    """Provider-side content kept verbatim on the assembled message."""

    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """The provider's id for this response and the model that answered."""

    id: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallData:
    """Opaque provider data for the tool call at ``index``, merged key by key."""

    index: int
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCallArguments:
    """The whole argument text of the call at ``index``; replaces what its deltas built."""

    index: int
    arguments: str


@dataclass(frozen=True, slots=True)
class MessageLayout:
    """Adapter data to rebuild the turn exactly, merged into ``AssistantMessage.layout``."""

    data: Mapping[str, Any]


RawEvent: TypeAlias = (
    TextDelta
    | ReasoningDelta
    | ToolCallDelta
    | Usage
    | Finish
    | End
    | RefusalDelta
    | ProviderBlock
    | ResponseInfo
    | ToolCallData
    | ToolCallArguments
    | MessageLayout
)
