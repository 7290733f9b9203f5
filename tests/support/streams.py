"""Access to the real recorded vendor streams in ``../shared/streams`` (beside the repo).

The recordings are other projects' public fixtures: they are read from there, never copied into
this repository. Tests that need them are skipped, with the reason, when the folder is absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STREAMS_DIR = REPO_ROOT.parent / "shared" / "streams"
SKIP_REASON = f"the recorded vendor streams are not at {STREAMS_DIR} (../shared/streams)"


@dataclass(frozen=True)
class RecordedStream:
    """One recorded response: ``name`` is ``vendor/short-name``."""

    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def body(self) -> bytes:
        return (self.path / "response.body").read_bytes()

    @property
    def request(self) -> dict[str, Any] | None:
        file = self.path / "request.json"
        return json.loads(file.read_text()) if file.exists() else None

    @property
    def wire_format(self) -> str:
        return str(self.meta["wire_format"])

    @property
    def features(self) -> list[str]:
        return list(self.meta.get("features", []))


def streams_available() -> bool:
    return (STREAMS_DIR / "index.json").is_file()


@cache
def _all() -> tuple[RecordedStream, ...]:
    if not streams_available():
        return ()
    index = json.loads((STREAMS_DIR / "index.json").read_text())
    out = []
    for record in index:
        path = STREAMS_DIR / record["dir"]
        meta = json.loads((path / "meta.json").read_text())
        out.append(RecordedStream(record["dir"], path, meta))
    return tuple(out)


def recorded_streams(wire_format: str) -> list[RecordedStream]:
    """Every recorded stream of one wire format, sorted by name."""
    return sorted((s for s in _all() if s.wire_format == wire_format), key=lambda s: s.name)


def stream_params(wire_format: str) -> list[Any]:
    """``pytest.param`` per stream (ids = names); one skipped param when the folder is absent."""
    streams = recorded_streams(wire_format)
    if not streams:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON), id="no-streams")]
    return [pytest.param(s, id=s.name) for s in streams]


def get_stream(name: str) -> RecordedStream:
    """One stream by ``vendor/short-name``; skips the test when the folder is absent."""
    if not streams_available():
        pytest.skip(SKIP_REASON)
    for stream in _all():
        if stream.name == name:
            return stream
    raise LookupError(f"no recorded stream named {name!r}")
