"""The llmkit command, run as a real process against a loopback OpenAI-format server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import LoopbackServer, ScriptedHandler, openai_default_handler
from tests.terminal import run_on_terminal


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ScriptedHandler(default=openai_default_handler)) as srv:
        yield srv


def run_cli(
    *args: str,
    server: LoopbackServer | None = None,
    stdin: str = "",
    cwd: Path | None = None,
    **env_overrides: str,
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LLMKIT_", "ANTHROPIC_", "GEMINI_"))
    }
    if server is not None:
        env["OPENAI_BASE_URL"] = server.url + "/v1"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=cwd,
    )


def test_ask(server: LoopbackServer) -> None:
    done = run_cli("ask", "-m", "openai:test", "hello", server=server)
    assert (done.returncode, done.stdout) == (0, "echo: hello\n")
    assert done.stderr == ""  # no spinner when not on a terminal


def test_ask_with_system_prompt(server: LoopbackServer) -> None:
    run_cli("ask", "-m", "openai:test", "--system", "be terse", "hi", server=server)
    assert server.last_request.json["messages"][0] == {"role": "system", "content": "be terse"}


def test_ask_stream(server: LoopbackServer) -> None:
    done = run_cli("ask", "-m", "openai:test", "--stream", "streamed words", server=server)
    assert (done.returncode, done.stdout) == (0, "echo: streamed words\n")
    assert server.last_request.json["stream"] is True


def test_ask_json(server: LoopbackServer) -> None:
    done = run_cli("ask", "-m", "openai:test", "--json", "hi", server=server)
    out = json.loads(done.stdout)
    assert out["text"] == "echo: hi"
    assert out["model"] == "openai:test"
    assert out["usage"]["output_tokens"] > 0 and out["finish_reason"] == "stop"


def test_ask_reads_stdin(server: LoopbackServer) -> None:
    done = run_cli("ask", "-m", "openai:test", "-", stdin="from stdin\n", server=server)
    assert done.stdout == "echo: from stdin\n\n"


def test_default_model_from_environment(server: LoopbackServer) -> None:
    done = run_cli("ask", "hi", server=server, LLMKIT_MODEL="openai:envmodel")
    assert done.returncode == 0
    assert server.last_request.json["model"] == "envmodel"


def test_usage_error_exit_code() -> None:
    done = run_cli("ask", "--temperature", "warm", "hi")
    assert done.returncode == 2
    assert "invalid float value" in done.stderr


def test_config_error_exit_code() -> None:
    done = run_cli("ask", "-m", "nope:model", "hi")
    assert done.returncode == 3
    assert "unknown provider 'nope'" in done.stderr


def test_provider_error_exit_code(server: LoopbackServer) -> None:
    done = run_cli("ask", "-m", "openai:test", "hi", server=server, OPENAI_API_KEY="bad-key")
    assert done.returncode == 4
    assert "AuthenticationError" in done.stderr


def test_models_lists_providers_and_default(tmp_path: Path) -> None:
    (tmp_path / "llmkit.toml").write_text(
        'default_model = "lab:qwen"\n[providers.lab]\nbase_url = "http://127.0.0.1:1/v1"\n'
    )
    done = run_cli("models", "--json", cwd=tmp_path, HOME=str(tmp_path), ANTHROPIC_API_KEY="k")
    data = json.loads(done.stdout)
    assert data["default_model"] == "lab:qwen"
    rows = {row["provider"]: row for row in data["providers"]}
    assert rows["anthropic"]["key_set"] is True and rows["anthropic"]["status"] == "key set"
    assert rows["openai"]["status"] == "needs OPENAI_API_KEY"
    assert rows["lab"]["configured"] and rows["lab"]["base_url"] == "http://127.0.0.1:1/v1"
    text = run_cli("models", cwd=tmp_path, HOME=str(tmp_path)).stdout
    assert "default model: lab:qwen" in text


def test_chat_keeps_history(server: LoopbackServer) -> None:
    done = run_cli(
        "chat", "-m", "openai:test", server=server, stdin="first question\nsecond question\n/exit\n"
    )
    assert done.returncode == 0
    assert done.stdout == "echo: first question\necho: second question\n"
    last = server.last_request.json["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user"]
    assert last[1]["content"] == "echo: first question"


def test_chat_reset_forgets_history(server: LoopbackServer) -> None:
    run_cli("chat", "-m", "openai:test", server=server, stdin="one\n/reset\ntwo\n")
    assert [m["role"] for m in server.last_request.json["messages"]] == ["user"]


def test_chat_survives_a_provider_error(server: LoopbackServer) -> None:
    from tests.servers import JsonReply, openai_wire

    server.enqueue(JsonReply(400, openai_wire.error_body("bad request")))
    done = run_cli("chat", "-m", "openai:test", server=server, stdin="one\ntwo\n")
    assert done.returncode == 0
    assert "bad request" in done.stderr
    assert done.stdout.strip() == "echo: two"
    assert [m["role"] for m in server.last_request.json["messages"]] == ["user"]


def test_spinner_shows_on_a_terminal_only(server: LoopbackServer) -> None:
    from tests.servers import JsonReply, openai_wire
    from tests.servers.replies import Delayed

    server.enqueue(Delayed(0.5, JsonReply(200, openai_wire.chat_completion("slow answer"))))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
    env["OPENAI_BASE_URL"] = server.url + "/v1"
    done, terminal = run_on_terminal(["ask", "-m", "openai:test", "hi"], env)
    assert done.stdout == "slow answer\n"
    assert "thinking" in terminal.decode()
    assert terminal.endswith(b"\r\x1b[K")  # the spinner erases itself


@pytest.mark.slow
def test_ask_local_model_plain_stream_and_json(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    plain = run_cli("ask", "Say hi", "-m", "local:smollm2", "--max-tokens", "24", **home)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip()
    streamed = run_cli(
        "ask", "--stream", "Say hi", "-m", "local:smollm2", "--max-tokens", "24", **home
    )
    assert streamed.returncode == 0 and streamed.stdout.strip()
    as_json = run_cli(
        "ask", "--json", "Say hi", "-m", "local:smollm2", "--max-tokens", "24", **home
    )
    out = json.loads(as_json.stdout)
    assert out["model"] == "local:smollm2" and out["text"].strip()
    assert out["usage"]["input_tokens"] > 0 and out["usage"]["output_tokens"] > 0


@pytest.mark.slow
def test_quickstart_answers_with_the_default_local_model(tmp_path: Path) -> None:
    from tests.conftest import REPO

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LLMKIT_", "ANTHROPIC_", "GEMINI_"))
    }
    env["HOME"] = str(tmp_path)  # no user llmkit.toml: the default must be local:smollm2
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[local:smollm2] ") and len(done.stdout.strip()) > 20


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `llmkit workflow schema | head -1`: the pipe closes before the output is written.
    child = subprocess.Popen(
        [sys.executable, "-m", "llmkit", "workflow", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    errors = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in errors
