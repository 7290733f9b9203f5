"""The embedded model's decision between answering and calling a tool, on a fixed prompt set.

    python bench/local_decisions.py

Runs each prompt once through ``LocalLlamaAdapter`` (greedy, so deterministic) with the CLI's
``calculator`` and ``clock`` tools offered in automatic choice, and prints a Markdown table: what
a user would want, what the model did (the tool it called, or words), and the first words of an
answer. Not a test: a 135M model's judgement is measured here, and stated in the README.
"""

from __future__ import annotations

import asyncio

from llmport import Done, UserMessage
from llmport.adapters.local import LocalLlamaAdapter
from llmport.cli.builtin_tools import BUILTIN_TOOLS

PROMPTS: list[tuple[str, str]] = [
    ("What is 17 * 23?", "calculator"),
    ("What is 12 + 30?", "calculator"),
    ("How much is 99 - 7?", "calculator"),
    ("Compute 2 ** 10", "calculator"),
    ("What time is it?", "clock"),
    ("Hi!", "words"),
    ("Hello, how are you?", "words"),
    ("Thanks, that is all.", "words"),
    ("Write a haiku about the sea.", "words"),
    ("What was my previous question?", "words"),
]


async def main() -> None:
    tools = [BUILTIN_TOOLS["calculator"].definition, BUILTIN_TOOLS["clock"].definition]
    port = LocalLlamaAdapter(max_tokens=40)
    rows, right = [], 0
    for prompt, wanted in PROMPTS:
        stream = await port.chat_stream([UserMessage(prompt)], tools)
        done = None
        async with stream:
            async for event in stream:
                if isinstance(event, Done):
                    done = event
        assert done is not None
        calls = done.message.tool_calls
        did = calls[0].name if calls else "words"
        right += did == wanted
        shown = (
            f"`{calls[0].name}({calls[0].arguments_json()})`" if calls else done.message.text[:48]
        )
        rows.append(f"| {prompt} | {wanted} | {did} | {shown.strip()} |")
    print("| prompt | wanted | the model did | output |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{right} of {len(PROMPTS)} decisions as wanted")


if __name__ == "__main__":
    asyncio.run(main())
