"""What an adapter's decoder hands to the guard.

A decoder turns provider frames into ``RawEvent`` items: the public deltas (forwarded to the
consumer as they are) plus a few signals only the guard sees:

``Usage``         the turn's usage so far (the latest one wins; the adapter merges partial reports)
``Finish``        the provider's finish reason, normalised, with its raw value
``End``           the provider's own end marker arrived: the guard emits ``Done`` now
``RefusalDelta``  refusal text the provider marked as such (forwarded as ``TextDelta``)
``ProviderBlock`` provider-side content kept on the message, not interpreted
``ResponseInfo``  the provider's response id and model name

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
)
