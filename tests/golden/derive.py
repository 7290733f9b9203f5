"""Derive the golden files of a wire from its recorded streams.

Run once per wire (``python -m tests.golden.derive openai_chat [stream names]``; the wire names
are those of ``tests/support/wires.py``), then REVIEW every file against the stream's
``meta.json`` and the quirks in ``../shared/streams/README.md`` before committing it: a golden
says what we expect, so it is checked by a person and by an independent oracle test, not
trusted because a script wrote it. (The Anthropic goldens have their own digest format:
``tests/adapters/anthropic/golden.py``.)
"""

from __future__ import annotations

import asyncio
import sys

from tests.support.goldens import collect, mock_client, write_golden
from tests.support.streams import recorded_streams
from tests.support.wires import WIRE_SUITES


async def main(wire: str, only: list[str]) -> None:
    suite = WIRE_SUITES[wire]
    for wire_format in suite.wire_formats:
        for stream in recorded_streams(wire_format):
            if only and stream.name not in only:
                continue
            content_type = stream.meta.get("content_type") or "text/event-stream"
            async with mock_client(stream.body, content_type=content_type) as client:
                result = await collect(suite.port(client))
            result = {"stream": stream.name, **result}
            print(write_golden(suite.golden_dir, stream.name, result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "openai_chat", sys.argv[2:]))
