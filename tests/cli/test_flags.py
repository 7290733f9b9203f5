"""The CLI's everyday flags, in process over the scripted model (which echoes without a script):
stdin joined like ``llm``, short flags, ``-o`` model options, ``--base-url`` and ``--key`` on a
loopback server, ``--version``, errors in a CLI user's words, ``NO_COLOR``."""

from __future__ import annotations

import io
import json

import pytest

from llmport import CallOptions
from llmport.cli import session
from llmport.cli.main import main
from llmport.cli.render import PlainRenderer, make_renderer
from llmport.cli.session import CliError, parse_options
from tests.support.fake_server import FakeServer, Reply, sse

KEY = "sk-SENTINEL-cli-0123456789"


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:  # fmt: skip
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_piped_text_comes_first_then_the_prompt(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["run", "-m", "scripted", "--no-log", "summarize"], capsys,
                       "some text\n", monkeypatch)  # fmt: skip
    assert code == 0 and out == "You said: some text\n\nsummarize\n"


def test_stdin_alone_and_the_dash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["run", "-m", "scripted", "--no-log"], capsys, "hi\n", monkeypatch)[1] == (
        "You said: hi\n"
    )
    assert run(["run", "-m", "scripted", "--no-log", "-"], capsys, "dash", monkeypatch)[1] == (
        "You said: dash\n"
    )


def test_no_prompt_at_all_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["run", "-m", "scripted", "--no-log"], capsys, "", monkeypatch)
    assert code == 2 and err.startswith("llmport: ") and "pipe one in" in err


def test_options_reach_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_options([["temperature", "0.2"], ["stop", "END"], ["stop", "DONE"],
                          ["tool_choice", "calculator"], ["max-tokens", "64"],
                          ["reasoning", "high"]]) == CallOptions(  # fmt: skip
        temperature=0.2, stop=("END", "DONE"), tool_choice="calculator", max_tokens=64,
        reasoning="high",
    )  # fmt: skip
    assert parse_options([]) is None
    with pytest.raises(CliError, match="temprature"):
        parse_options([["temprature", "1"]])
    with pytest.raises(CliError, match="between"):
        parse_options([["temperature", "9"]])


async def test_base_url_key_and_options_on_a_real_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "pong"}, "finish_reason": "stop"}]}
    async with FakeServer() as server:
        server.add(Reply(body=sse(chunk)))
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        argv = ["run", "-m", "openai:gpt-x", "--base-url", server.url, "--key", KEY,
                "-o", "temperature", "0.3", "-s", "Be brief.", "ping"]  # fmt: skip
        code = await _in_thread(argv)
        request = server.requests[0]
    out = capsys.readouterr()
    assert code == 0 and out.out.strip() == "pong"
    body = request.json()
    assert body["temperature"] == 0.3
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == f"Bearer {KEY}"
    from dataclasses import asdict

    from llmport.cli.store import RunStore

    stored = json.dumps([asdict(r) for r in RunStore().recent(5)], default=str)
    assert "ping" in stored
    assert KEY not in stored and KEY not in out.out + out.err


async def _in_thread(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_a_missing_key_is_said_in_cli_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _, err = run(["run", "-m", "anthropic:claude-x", "hi"], capsys, "", monkeypatch)
    assert code == 2
    assert err.startswith("llmport: ") and "ANTHROPIC_API_KEY" in err and "--key" in err
    assert "api_key=" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("llmport ")


def test_no_color_means_no_escape_code(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert isinstance(make_renderer(json_output=False, stream=Terminal()), PlainRenderer)
    monkeypatch.delenv("NO_COLOR")
    assert not isinstance(make_renderer(json_output=False, stream=Terminal()), PlainRenderer)


def test_scripted_echoes_as_the_readme_says(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    code, out, _ = run(["run", "--model", "scripted", "--no-log", "hello"], capsys, "", monkeypatch)
    assert code == 0 and out == "You said: hello\n"
    _ = session  # the module under test


def empty_model(model: str, **options: object) -> object:
    from llmport import ScriptedAdapter
    from llmport.testing import ScriptedTurn

    return ScriptedAdapter([ScriptedTurn.text("")])


def test_an_empty_answer_is_warned_about_and_logged_as_such(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmport import registry
    from llmport.cli.store import RunStore

    monkeypatch.setattr(registry, "_ENTRIES", dict(registry._ENTRIES))
    registry.register(registry.ProviderEntry("empty", f"{__name__}:empty_model", "empty"))
    code, out, err = run(["run", "-m", "empty", "hi"], capsys, "", monkeypatch)
    assert code == 0 and out.strip() == ""
    assert "llmport: warning: the model returned an empty answer" in err
    store = RunStore.existing()
    assert store is not None and store.recent(1)[0].status == "empty"


def test_unknown_usage_is_said_to_be_unknown_never_zero() -> None:
    from llmport import Usage
    from llmport.cli.render import usage_text

    assert "usage unknown" in usage_text(None, 1, 0.5)
    assert "0 in" not in usage_text(None, 1, 0.5)
    assert usage_text(Usage(3, 4), 2, 1.0).startswith("2 turns · 3 in / 4 out tokens")
    assert usage_text(Usage(3, 4), 1, 1.0).startswith("1 turn · ")


def test_no_stream_prints_each_answer_whole() -> None:
    from llmport.agent.events import AgentTextDelta, TurnFinished
    from llmport.cli.render import WholeAnswerRenderer
    from llmport.domain.events import FinishReason
    from llmport.domain.messages import AssistantMessage

    seen: list[object] = []

    class Recorder(PlainRenderer):
        def event(self, event: object) -> None:  # type: ignore[override]
            seen.append(event)

    whole = WholeAnswerRenderer(Recorder(io.StringIO(), io.StringIO()))
    for piece in ("Hel", "lo"):
        whole.event(AgentTextDelta(piece, 1))
    assert seen == []
    done = TurnFinished(1, FinishReason.STOP, None, AssistantMessage("Hello"))
    whole.event(done)
    assert seen == [AgentTextDelta("Hello", 1), done]


def test_no_stream_on_the_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["run", "-m", "scripted", "--no-stream", "--no-log", "hi"], capsys, "",
                       monkeypatch)  # fmt: skip
    assert code == 0 and out == "You said: hi\n"


@pytest.mark.parametrize("command", [[], ["run"], ["chat"]])
def test_help_lists_the_variables_every_provider_reads(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmport import registry

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    out = capsys.readouterr().out
    for entry in registry.entries():
        for name in (*entry.key_env, *entry.base_url_env):
            assert name in out, (command, name)
    assert "LLMPORT_MODELS" in out and KEY not in out
