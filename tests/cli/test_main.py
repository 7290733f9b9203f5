"""The ``llmport`` command, run through its real entry point (``python -m llmport``).

Each test gets its own ``LLMPORT_HOME`` (the run log) and working directory. The runs that need
a model use the real embedded SmolLM2 (greedy, so deterministic).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from llmport.cli.session import CliError, load_tools
from tests.adapters.local_model_support import requires_local_model

SRC = Path(__file__).resolve().parents[2] / "src"
KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env["LLMPORT_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    (tmp_path / "work").mkdir()
    return env


def llmport(
    env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmport", *args],
        env=env,
        cwd=cwd or Path(env["LLMPORT_HOME"]).parent / "work",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ndjson(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# --- errors: one clear line and an exit code ---------------------------------------------------


def test_an_unknown_model_prefix_lists_the_known_ones(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--model", "nosuch:model", "hi")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown model prefix 'nosuch'" in lines[0]
    assert "known prefixes:" in lines[0] and "local" in lines[0] and "scripted" in lines[0]
    assert done.stdout == ""


def test_a_missing_api_key_names_the_variable_to_set(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--model", "openai:gpt-4o", "hi")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert done.returncode == 2
    assert "OPENAI_API_KEY" in lines[0]
    assert "or use --model local" in lines[0]
    anthropic = llmport(cli_env, "run", "--model", "anthropic:claude-sonnet-4-5", "hi")
    assert anthropic.returncode == 2
    assert "ANTHROPIC_API_KEY" in anthropic.stderr
    assert len(anthropic.stderr.strip().splitlines()) == 1


def test_an_unknown_builtin_tool_lists_the_available_ones(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--tool", "shell", "hi")
    assert done.returncode == 2
    assert "unknown built-in tool 'shell'" in done.stderr
    assert "calculator, clock, read_file" in done.stderr


def test_a_model_failure_is_one_line_and_exit_code_1(cli_env: dict[str, str]) -> None:
    # A server that is not there: a runtime failure, one line, logged.
    done = llmport(cli_env, "run", "-m", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "hi")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("llmport: ") and "could not connect" in done.stderr
    listing = llmport(cli_env, "logs")
    assert "error" in listing.stdout and "openai:m" in listing.stdout


@pytest.mark.parametrize("turns", ["0", "-3"])
def test_a_max_turns_below_one_is_a_usage_error_not_a_traceback(
    cli_env: dict[str, str], turns: str
) -> None:
    done = llmport(cli_env, "run", "--model", "scripted", "--max-turns", turns, "hi")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith(f"argument --max-turns: must be at least 1, got {turns}")
    )
    assert "no runs logged yet" in llmport(cli_env, "logs").stdout  # no run left 'running'


def test_a_json_error_is_also_an_ndjson_line(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--json", "--model", "nosuch:x", "hi")
    assert done.returncode == 2
    assert ndjson(done.stdout) == [
        {"type": "error", "message": done.stderr.split("error: ")[1].strip()}
    ]


def test_logs_show_of_an_unknown_run(cli_env: dict[str, str]) -> None:
    assert "no runs logged yet" in llmport(cli_env, "logs").stdout
    done = llmport(cli_env, "logs", "show", "42")
    assert done.returncode == 1
    assert "no run 42" in done.stderr


def test_tools_files_load_their_tool_functions(tmp_path: Path) -> None:
    good = tmp_path / "mytools.py"
    good.write_text(
        "from llmport import tool\n\n"
        "@tool\n"
        "def multiply(a: int, b: int) -> int:\n"
        '    """Multiply two integers."""\n'
        "    return a * b\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n", encoding="utf-8")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('nope')\n", encoding="utf-8")
    (loaded,) = load_tools([], [str(good)])
    assert loaded.name == "multiply"
    assert [t.name for t in load_tools(["calculator"], [str(good)])] == ["calculator", "multiply"]
    with pytest.raises(CliError, match="defines no @tool functions"):
        load_tools([], [str(empty)])
    with pytest.raises(CliError, match="RuntimeError: nope"):
        load_tools([], [str(broken)])
    with pytest.raises(CliError, match="no tools file"):
        load_tools([], [str(tmp_path / "missing.py")])


# --- the main job, with the real local model ---------------------------------------------------


@requires_local_model
@pytest.mark.slow
def test_run_json_streams_agent_events_and_logs_the_run(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--json", "--tool", "calculator", "What is 17 * 23?")
    assert done.returncode == 0, done.stderr
    events = ndjson(done.stdout)
    types = [e["type"] for e in events]
    assert types[-1] == "run_finished"
    assert types.count("run_finished") == 1
    started = events[types.index("tool_call_started")]
    finished = events[types.index("tool_call_finished")]
    assert started["call"]["name"] == "calculator"
    assert finished["call"]["id"] == started["call"]["id"]
    assert finished["is_error"] is False
    assert finished["result"] == "391"
    assert finished["call"]["arguments"] == {"expression": "17 * 23"}
    assert types.index("tool_call_started") < types.index("tool_call_finished")
    text_after_tool = [
        e["text"] for e in events[types.index("tool_call_finished") :] if e["type"] == "text_delta"
    ]
    assert len(text_after_tool) > 1  # the answer streamed in pieces
    final = events[-1]
    assert final["text"] == "".join(text_after_tool)
    assert final["turns"] == 2
    assert final["usage"]["input_tokens"] > 0 and final["usage"]["output_tokens"] > 0

    listing = llmport(cli_env, "logs")
    assert listing.returncode == 0
    rows = listing.stdout.splitlines()
    assert rows[0].split()[:3] == ["ID", "STARTED", "MODEL"]
    assert "What is 17 * 23?" in rows[1] and " ok " in rows[1] and "local" in rows[1]
    run_id = rows[1].split()[0]

    shown = llmport(cli_env, "logs", "show", run_id)
    assert shown.returncode == 0
    assert 'tool call calculator {"expression": "17 * 23"}' in shown.stdout
    assert "tool result (calculator)" in shown.stdout and ": 391" in shown.stdout
    assert "tokens:" in shown.stdout
    stored = json.loads(llmport(cli_env, "logs", "show", run_id, "--json").stdout)
    assert [m["role"] for m in stored["transcript"]] == ["user", "assistant", "tool", "assistant"]


@requires_local_model
@pytest.mark.slow
def test_piped_output_is_the_answer_alone(cli_env: dict[str, str]) -> None:
    done = llmport(cli_env, "run", "--no-log", "--tool", "calculator", "What is 17 * 23?")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the answer, in words (a 135M model may not repeat the number)
    assert "[tool" not in done.stdout
    assert "\x1b[" not in done.stdout  # no colour codes in a pipe
    assert '[tool] calculator(expression="17 * 23")' in done.stderr
    assert "[tool result] 391" in done.stderr
    assert "no runs logged yet" in llmport(cli_env, "logs").stdout


@requires_local_model
@pytest.mark.slow
def test_read_file_refuses_a_path_outside_the_working_directory(
    cli_env: dict[str, str],
) -> None:
    done = llmport(cli_env, "run", "--json", "--tool", "read_file", "What is in /etc/passwd?")
    assert done.returncode == 0, done.stderr
    events = ndjson(done.stdout)
    finished = [e for e in events if e["type"] == "tool_call_finished"]
    assert finished, "the model did not call read_file"
    path = finished[0]["call"]["arguments"]["path"]
    # A 135M model copies the path loosely ("/etc/passwd", "~/etc/passwd" ...): whatever it
    # asked for outside the working directory is refused, and nothing of the file leaks.
    assert path.startswith(("/", "~")), path
    assert finished[0]["is_error"] is True
    assert "root:" not in done.stdout


# A model that streams for minutes, registered by the tools file the CLI loads (the way a
# third-party adapter registers a prefix): the interrupt always lands mid-answer, whatever the
# machine's speed, which a real model's answer length cannot promise.
def default_sigint() -> None:
    """In a child before it runs llmport: Ctrl-C as a terminal delivers it. A test run started in
    the background of a non-interactive shell (``cmd &``, as some CI runners do) inherits SIGINT
    *ignored*, and an ignored SIGINT stays ignored across exec: nothing could be interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# ``python -m llmport ...`` started with SIGINT at its default (see ``default_sigint``).
INTERRUPTIBLE = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'llmport', *sys.argv[1:]])",
]


SLOW_MODEL = """
from llmport import TextDelta, tool
from llmport.connect import register
from llmport.testing import ScriptedAdapter, ScriptedTurn


@tool
def noop() -> str:
    "Does nothing (a tools file needs one tool)."
    return ""


def build(model, **options):
    words = tuple(TextDelta(f"word{i} ") for i in range(100_000))
    return ScriptedAdapter([ScriptedTurn(words, pause=0.01)])


register("slow", "slow_model:build")
"""


def test_ctrl_c_exits_130_and_logs_the_partial_run(cli_env: dict[str, str]) -> None:
    work = Path(cli_env["LLMPORT_HOME"]).parent / "work"
    (work / "slow_model.py").write_text(SLOW_MODEL)
    process = subprocess.Popen(
        [
            *INTERRUPTIBLE,
            "run",
            "--json",
            "--model",
            "slow",
            "--tools",
            "slow_model.py",
            "Write a very long story about the sea.",
        ],
        env=cli_env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for _ in range(3):  # generation has started
        assert json.loads(process.stdout.readline())["type"] == "text_delta"
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - started < 10
    assert "interrupted" in err
    assert "Traceback" not in err
    listing = llmport(cli_env, "logs", "--json")
    (record,) = ndjson(listing.stdout)
    assert record["status"] == "interrupted"
    assert record["model"] == "slow"
    transcript = record["transcript"]
    assert transcript[0] == {"role": "user", "content": "Write a very long story about the sea."}
    assert transcript[-1]["role"] == "assistant"
    assert transcript[-1]["text"].startswith("word0 word1 word2 ")


@requires_local_model
@pytest.mark.slow
def test_chat_keeps_history_resets_and_continues(cli_env: dict[str, str]) -> None:
    chat = subprocess.run(
        [sys.executable, "-m", "llmport", "chat", "--tool", "calculator"],
        input="What is 17 * 23?\n/reset\nHi!\n/exit\n",
        env=cli_env,
        cwd=Path(cli_env["LLMPORT_HOME"]).parent / "work",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    assert "conversation reset" in chat.stdout + chat.stderr
    records = ndjson(llmport(cli_env, "logs", "--json").stdout)
    assert [r["prompt"] for r in records] == ["Hi!", "What is 17 * 23?"]
    assert records[0]["conversation"] != records[1]["conversation"]  # /reset started anew
    assert [m["role"] for m in records[0]["transcript"]] == ["user", "assistant"]

    resumed = subprocess.run(
        [sys.executable, "-m", "llmport", "chat", "--continue"],
        input="Thanks!\n",  # then end of input (Ctrl-D)
        env=cli_env,
        cwd=Path(cli_env["LLMPORT_HOME"]).parent / "work",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    latest = ndjson(llmport(cli_env, "logs", "--json", "--limit", "1").stdout)[0]
    assert latest["conversation"] == records[0]["conversation"]
    # Each exchange stores only what it added; the conversation is all of them.
    assert [m.get("content") for m in latest["transcript"] if m["role"] == "user"] == ["Thanks!"]
    from llmport.cli.store import RunStore

    history = RunStore(Path(cli_env["LLMPORT_HOME"])).history(latest["conversation"])
    assert [m.content for m in history if m.role == "user"] == ["Hi!", "Thanks!"]


@requires_local_model
@pytest.mark.slow
def test_the_readme_quick_start_run_uses_a_tool(cli_env: dict[str, str]) -> None:
    """The README's one command ends with an `llmport run`; run that part as written."""
    import re
    import shlex

    readme = (SRC.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    command = re.search(r"```bash\n(.*?)\n```", section, flags=re.DOTALL)
    assert command is not None
    (line,) = command.group(1).strip().splitlines()
    assert "pip install -e '.[local]'" in line
    run = line.split(".venv/bin/llmport ", 1)[1]
    done = llmport(cli_env, *shlex.split(run))
    assert done.returncode == 0, done.stderr
    assert "[tool] calculator(" in done.stderr
    assert "[tool result] " in done.stderr and "[tool error]" not in done.stderr
    assert done.stdout.strip()


def test_a_missing_model_file_is_a_usage_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    done = llmport(cli_env, "run", "--model", f"local:{tmp_path / 'nope.gguf'}", "hi")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "nope.gguf" in line


def test_the_cli_event_loop_does_not_wait_for_an_abandoned_tool_thread() -> None:
    """A sync tool cannot be killed; after its timeout or Ctrl-C the command must still exit."""
    import asyncio
    import contextlib
    import threading

    from llmport.cli.session import new_runner

    release = threading.Event()

    async def abandon_a_thread() -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.05):
                await asyncio.to_thread(release.wait)

    finished: list[bool] = []

    def command() -> None:
        with new_runner() as runner:
            runner.run(abandon_a_thread())
        finished.append(True)

    driver = threading.Thread(target=command, daemon=True)
    driver.start()
    driver.join(timeout=10)
    try:
        assert not driver.is_alive(), "closing the event loop waited for the tool's thread"
        assert finished == [True]
    finally:
        release.set()


@requires_local_model
@pytest.mark.slow
def test_ctrl_c_during_a_hung_sync_tool_still_exits_130(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    work = Path(cli_env["LLMPORT_HOME"]).parent / "work"
    (work / "hang.py").write_text(
        "import time\n"
        "from llmport import tool\n\n"
        "@tool(name='calculator')\n"
        "def calc(expression: str) -> str:\n"
        '    """Evaluate an arithmetic expression and return the result."""\n'
        "    time.sleep(3600)\n"
        "    return '0'\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [
            *INTERRUPTIBLE,
            "run",
            "--json",
            "--tools",
            "hang.py",
            "What is 17 * 23?",
        ],
        env=cli_env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["type"] == "tool_call_started":
            break
    else:
        pytest.fail("the model did not call the tool")
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("llmport hung after Ctrl-C, waiting for the tool's thread")
    assert process.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


def test_chat_slash_commands_and_ctrl_c_through_a_terminal(cli_env: dict[str, str]) -> None:
    """The chat on a real pseudo-terminal: slash commands are commands (an unknown one is an
    error line, never a prompt), Ctrl-C stops an answer and prints ``(interrupted)`` on a line
    of its own, and the partial exchange stays in the conversation."""
    import os
    import pty
    import select

    work = Path(cli_env["LLMPORT_HOME"]).parent / "work"
    (work / "slow_model.py").write_text(SLOW_MODEL)
    env = {**cli_env, "NO_COLOR": "1", "TERM": "dumb"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: llmport chat on the terminal
        default_sigint()
        os.chdir(work)
        os.execve(sys.executable, [sys.executable, "-m", "llmport", "chat", "-m", "slow",
                                   "--tools", "slow_model.py"], env)  # fmt: skip
    seen = b""

    def read_until(marker: bytes, timeout: float = 30.0) -> bytes:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        assert marker in seen, seen[-2000:]
        return seen

    try:
        read_until(b"> ")
        os.write(fd, b"/help\n")
        read_until(b"/system TEXT")
        os.write(fd, b"/nope\n")
        read_until(b"unknown command '/nope'")
        os.write(fd, b"/tools\n")
        read_until(b"tools: noop")
        os.write(fd, b"tell me a story\n")
        read_until(b"word3 ")
        os.write(fd, b"\x03")  # Ctrl-C
        text = read_until(b"(interrupted)").decode(errors="replace")
        line = next(x for x in text.splitlines() if "(interrupted)" in x)
        assert line.strip().endswith("(interrupted)") and "word" not in line
        read_until(b"> ", timeout=10)
        os.write(fd, b"/exit\n")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)
    records = ndjson(llmport(cli_env, "logs", "--json").stdout)
    assert [r["prompt"] for r in records] == ["tell me a story"]  # /commands were not prompts
    assert records[0]["status"] == "interrupted"
    from llmport.cli.store import RunStore

    history = RunStore(Path(cli_env["LLMPORT_HOME"])).history(records[0]["conversation"])
    assert history[-1].role == "assistant" and history[-1].text.startswith("word0 word1 ")
