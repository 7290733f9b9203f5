"""Write ``tests/golden/anthropic/*.json`` from the recorded streams, through the adapter.

Run ``python -m tests.adapters.anthropic.make_goldens`` from the repository root after a
deliberate change of behaviour, then REVIEW the diff against the streams: a golden is an
expectation, not a recording of whatever the code does today. ``test_goldens.py`` also checks
each stream against facts read straight from its body and meta.json.
"""

from __future__ import annotations

import asyncio

from tests.support.streams import recorded_streams

from .golden import GOLDEN_DIR, dumps, golden_form, golden_path
from .helpers import mock_adapter, served_body, stream_events


async def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    streams = recorded_streams("anthropic_messages_sse")
    for stream in streams:
        events = await stream_events(mock_adapter([served_body(stream)]))
        golden = {"stream": stream.name, **golden_form(events)}
        golden_path(stream.name).write_text(dumps(golden), encoding="utf-8")
    print(f"wrote {len(streams)} goldens to {GOLDEN_DIR}")


if __name__ == "__main__":
    asyncio.run(main())
