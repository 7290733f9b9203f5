"""Derive the golden files of the OpenAI Chat adapter from the recorded streams.

Run once (``python -m tests.golden.derive``), then REVIEW every file against the stream's
``meta.json`` and the quirks in ``../shared/streams/README.md`` before committing it: a golden
says what we expect, so it is checked by a person, not trusted because a script wrote it.
"""

from __future__ import annotations

import asyncio
import sys

from llmport.adapters.openai_chat import OpenAIChatAdapter
from tests.support.goldens import collect, mock_client, write_golden
from tests.support.streams import recorded_streams


async def main(only: list[str]) -> None:
    for stream in recorded_streams("openai_chat_sse"):
        if only and stream.name not in only:
            continue
        async with mock_client(stream.body) as client:
            port = OpenAIChatAdapter("recorded", api_key="k", http_client=client, max_retries=0)
            result = await collect(port)
        result = {"stream": stream.name, **result}
        print(write_golden("openai_chat", stream.name, result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
