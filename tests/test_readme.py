"""The README's example runs as written and prints what the README says it prints."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support.streams import REPO_ROOT


def python_blocks() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_example_runs_and_prints_what_the_readme_says() -> None:
    example = python_blocks()[0]
    assert len(example.strip().splitlines()) <= 30
    out = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    readme = (REPO_ROOT / "README.md").read_text()
    promised = re.search(r"It prints `([^`]*)`", readme)
    assert promised is not None
    assert out.strip() == promised.group(1)


def test_no_link_leaves_the_repository() -> None:
    for page in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text()):
            if re.match(r"[a-z]+://", target) or target.startswith("#"):
                continue
            resolved = (page.parent / target.split("#")[0]).resolve()
            assert resolved.is_relative_to(REPO_ROOT), f"{page.name} links outside: {target}"
            assert resolved.exists(), f"{page.name} links to a missing file: {target}"


def test_every_code_block_runs_or_is_marked_a_fragment() -> None:
    """Python blocks run as written (the first one is also checked for its output above);
    blocks that cannot run alone say so in their info string (``python fragment``); the one
    plain ``bash`` block is the Quick start, whose ``llmport run`` the CLI tests run."""
    text = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```([^\n]*)\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    bash = [code for info, code in blocks if info.strip() == "bash"]
    assert len(bash) == 1 and "llmport run --tool calculator" in bash[0]
    for info, code in blocks:
        kind = info.split()
        assert kind, "every block names its language"
        if kind == ["python"]:
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True,
                timeout=60,
            )  # fmt: skip
        else:
            assert kind[0] == "text" or kind[-1] == "fragment" or kind == ["bash"], info


def test_every_adapter_has_an_options_and_quirks_page_linked_from_the_readme() -> None:
    """One page per adapter module behind a ``connect()`` prefix (the presets share the Chat
    page; the scripted double is a test tool, not a wire)."""
    from llmport import registry

    readme = (REPO_ROOT / "README.md").read_text()
    modules = {e.factory.partition(":")[0] for e in registry.entries() if e.prefix != "scripted"}
    for module in sorted(modules):
        wire = module.removeprefix("llmport.adapters.").split(".")[0].replace("_", "-")
        page = REPO_ROOT / "docs" / "adapters" / f"{wire}.md"
        assert page.exists(), f"no options-and-quirks page for {module}"
        text = page.read_text()
        assert "## Options" in text
        assert "## Quirks handled" in text or "## How a turn runs" in text
        assert f"docs/adapters/{wire}.md" in readme, f"README does not link {page.name}"
