"""The agent examples (examples/lua/agent.lua, examples/js/agent.js) from the command line:
against a loopback OpenAI-format server, and (slow) with the local model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import REPO
from tests.servers import LoopbackServer, ScriptedHandler, openai_default_handler

EXAMPLES = ["examples/lua/agent.lua", "examples/js/agent.js"]


def _llmkit(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**clean, **env},
    )


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ScriptedHandler(default=openai_default_handler)) as srv:
        yield srv


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_agent_example_asks_the_model_named_in_its_args(
    example: str, server: LoopbackServer
) -> None:
    done = _llmkit("run", example, "hello", "openai:t", OPENAI_BASE_URL=server.url + "/v1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["echo: hello", '"echo: hello"']
    sent = server.last_request.json["messages"]
    assert sent[0]["role"] == "system" and "one short sentence" in sent[0]["content"]


@pytest.mark.slow
def test_the_js_agent_example_answers_with_the_local_model() -> None:
    done = _llmkit("run", "examples/js/agent.js", "What is the capital of France?", timeout=600)
    assert done.returncode == 0, done.stderr
    answer = done.stdout.splitlines()[0]
    assert answer.strip() and "Paris" in answer
