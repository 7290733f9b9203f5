"""``CallOptions``: what varies per call, under one name per concept on every wire.

An adapter's constructor takes the same names as its defaults; ``chat_stream(..., options=)``
overrides them per call (a per-call value wins, ``extra_body`` is merged key by key). The
vendor's spelling (``max_completion_tokens``, ``maxOutputTokens``, ``num_predict`` ...) is an
encoding detail of each wire. An option a wire cannot express is a ``ValueError`` naming the
option and the wire, raised by its encoder before any request is sent
(:func:`unsupported_option`).

``reasoning`` is a :class:`Reasoning`: an effort level and/or a token budget (and, where the
wire has one, a summary mode); a bare string is an effort (``"high"``), a bare int a budget.
``response_format`` is the JSON Schema the answer must follow (structured output).

Stdlib only, and a JSON codec (``to_dict`` / ``from_dict``): durable and distributed runs ship
options between processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Final

__all__ = ["REASONING_EFFORTS", "CallOptions", "Reasoning", "unsupported_option"]

REASONING_EFFORTS: Final = ("none", "minimal", "low", "medium", "high", "xhigh")
"""The effort levels any wire knows; each wire maps (or refuses) them."""

_TOOL_CHOICE_MODES: Final = ("auto", "none", "required")


def unsupported_option(option: str, wire: str, why: str = "") -> ValueError:
    """The error an encoder raises for an option its wire cannot express."""
    reason = f": {why}" if why else ""
    return ValueError(f"the {wire} wire cannot express the option {option!r}{reason}")


@dataclass(frozen=True, slots=True)
class Reasoning:
    """How much the model should think: an ``effort`` level and/or a ``budget_tokens`` cap.

    ``summary`` asks for a reasoning summary where the wire has one (OpenAI Responses:
    ``"auto"``, ``"concise"``, ``"detailed"``).
    """

    effort: str | None = None
    budget_tokens: int | None = None
    summary: str | None = None

    def __post_init__(self) -> None:
        if self.effort is not None and self.effort not in REASONING_EFFORTS:
            raise ValueError(
                f"reasoning effort must be one of {', '.join(REASONING_EFFORTS)}, "
                f"got {self.effort!r}"
            )
        if self.budget_tokens is not None and (
            isinstance(self.budget_tokens, bool)
            or not isinstance(self.budget_tokens, int)
            or self.budget_tokens < 0
        ):
            raise ValueError("reasoning budget_tokens must be an integer >= 0")
        if self.summary is not None and not isinstance(self.summary, str):
            raise ValueError("reasoning summary must be a string")
        if self.effort is None and self.budget_tokens is None and self.summary is None:
            raise ValueError("Reasoning needs an effort, a budget_tokens or a summary")

    @classmethod
    def coerce(cls, value: object) -> Reasoning:
        """A ``Reasoning`` from itself, an effort string, a token budget or a mapping."""
        if isinstance(value, Reasoning):
            return value
        if isinstance(value, str):
            return cls(effort=value.strip().lower())
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(budget_tokens=value)
        if isinstance(value, Mapping):
            unknown = set(value) - {"effort", "budget_tokens", "summary"}
            if unknown:
                raise ValueError(f"unknown reasoning field(s): {', '.join(sorted(unknown))}")
            return cls(**dict(value))
        raise ValueError(
            "reasoning must be an effort ('low', 'high' ...), a token budget (int) "
            f"or a Reasoning, not {type(value).__name__}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in _items(self) if v is not None}


def _items(obj: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(obj, f.name)) for f in fields(obj)]


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call settings; ``None`` means "the adapter's default" (and then the vendor's).

    >>> CallOptions(temperature=0.2, stop="END").stop
    ('END',)
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    tool_choice: str | None = None
    """``"auto"``, ``"none"``, ``"required"``, or the name of the one tool to call."""
    parallel_tool_calls: bool | None = None
    reasoning: Reasoning | None = None
    response_format: Mapping[str, Any] | None = None
    """The JSON Schema of the answer (structured output)."""
    extra_body: Mapping[str, Any] | None = None
    """Merged into the request body last, for anything else the vendor accepts."""

    def __post_init__(self) -> None:
        if self.max_tokens is not None and (
            isinstance(self.max_tokens, bool)
            or not isinstance(self.max_tokens, int)
            or self.max_tokens < 1
        ):
            raise ValueError("max_tokens must be an integer >= 1")
        if self.temperature is not None:
            _number("temperature", self.temperature, 0.0, 2.0)
        if self.top_p is not None:
            _number("top_p", self.top_p, 0.0, 1.0)
        if self.stop is not None:
            stop: object = self.stop
            items = (stop,) if isinstance(stop, str) else tuple(stop)  # type: ignore[arg-type]
            if not all(isinstance(s, str) and s for s in items):
                raise ValueError("stop must be a non-empty string or a sequence of them")
            object.__setattr__(self, "stop", items)
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError("seed must be an integer")
        if self.tool_choice is not None and (
            not isinstance(self.tool_choice, str) or not self.tool_choice.strip()
        ):
            raise ValueError("tool_choice must be 'auto', 'none', 'required' or a tool name")
        if self.parallel_tool_calls is not None and not isinstance(self.parallel_tool_calls, bool):
            raise ValueError("parallel_tool_calls must be true or false")
        if self.reasoning is not None:
            object.__setattr__(self, "reasoning", Reasoning.coerce(self.reasoning))
        for name in ("response_format", "extra_body"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, Mapping):
                    raise ValueError(f"{name} must be a JSON object")
                object.__setattr__(self, name, dict(value))

    # --- tool choice -------------------------------------------------------------------------

    @property
    def tool_choice_mode(self) -> str | None:
        """``"auto"``, ``"none"``, ``"required"``, ``"tool"`` (a named tool) or None."""
        if self.tool_choice is None:
            return None
        return self.tool_choice if self.tool_choice in _TOOL_CHOICE_MODES else "tool"

    # --- combining ---------------------------------------------------------------------------

    def merged(self, override: CallOptions | None) -> CallOptions:
        """These options with every value ``override`` sets on top (``extra_body`` key-wise)."""
        if override is None:
            return self
        changes = {k: v for k, v in _items(override) if v is not None}
        if self.extra_body and override.extra_body:
            changes["extra_body"] = {**self.extra_body, **override.extra_body}
        return replace(self, **changes) if changes else self

    def is_set(self, name: str) -> bool:
        return getattr(self, name) is not None

    def set_names(self) -> list[str]:
        """The names of the options that carry a value."""
        return [k for k, v in _items(self) if v is not None]

    # --- JSON codec --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the options that are set; ``from_dict`` reverses it."""
        out: dict[str, Any] = {}
        for name, value in _items(self):
            if value is None:
                continue
            if isinstance(value, Reasoning):
                out[name] = value.to_dict()
            elif isinstance(value, tuple):
                out[name] = list(value)
            elif isinstance(value, Mapping):
                out[name] = dict(value)
            else:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallOptions:
        if not isinstance(data, Mapping):
            raise ValueError("call options must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown call option(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        stop = values.get("stop")
        if isinstance(stop, Sequence) and not isinstance(stop, str):
            values["stop"] = tuple(stop)
        return cls(**values)

    @classmethod
    def coerce(cls, value: CallOptions | Mapping[str, Any] | None) -> CallOptions | None:
        """``options=`` may be given as a ``CallOptions`` or a plain mapping of its fields."""
        if value is None or isinstance(value, CallOptions):
            return value
        return cls.from_dict(value)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
