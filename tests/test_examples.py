"""The examples in examples/ run, as separate processes, and say what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.agents import Agent, LimitExceeded
from llmkit.memory import Conversation, ConversationStore
from llmkit.testing import ScriptedModel, ToolCall
from tests.conftest import REPO


def run_example(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_conversation_resumes_from_sqlite_across_processes(tmp_path: Path) -> None:
    db = str(tmp_path / "chat.db")
    assert run_example("conversation.py", db, "What is my name?") == "I don't know your name."
    assert run_example("conversation.py", db, "My name is Ada.") == "Nice to meet you."
    assert run_example("conversation.py", db, "What is my name?") == "Your name is Ada."


async def test_failed_runs_store_nothing(tmp_path: Path) -> None:
    async with ConversationStore(tmp_path / "c.db") as store:
        conversation = Conversation(store, "c1")
        broken = Agent(ScriptedModel([ToolCall(name="missing")] * 5))
        with pytest.raises(LimitExceeded):
            await broken.run("hi", conversation=conversation)
        assert await conversation.messages() == []
        await Agent(ScriptedModel(["hello"])).run("hi", conversation=conversation)
        assert [m.text for m in await conversation.messages()] == ["hi", "hello"]


def test_tool_agent_example() -> None:
    assert run_example("agent_tools.py") == "2 + 3 = 5, and 5 x 7 = 35."


@pytest.mark.slow
def test_tool_agent_example_with_the_local_model() -> None:
    out = run_example("agent_tools.py", "local:smollm2")
    # SmolLM2 is weak, but after two rounds of tools `max_tool_rounds` makes it answer (what
    # it answers is up to the model): the run is never stopped by a limit.
    assert out and not out.startswith("stopped by")


def test_structured_output_example() -> None:
    assert run_example("structured_output.py") == "Capital(country='France', city='Paris')"


@pytest.mark.slow
def test_structured_output_example_with_the_local_model() -> None:
    out = run_example("structured_output.py", "local:smollm2")
    assert out.startswith("Capital(country=")  # the grammar guarantees the shape


def test_observability_example_prints_logs_spans_and_metrics() -> None:
    out = run_example("observability.py").splitlines()
    assert "answer: 2 + 3 = 5" in out
    assert [line.split(" {")[0] for line in out if line.startswith("span:")] == [
        "span: invoke_agent calculator",
        "span: chat scripted",
        "span: execute_tool add",
        "span: chat scripted",
    ]
    assert any(
        line.startswith('metric: llmkit_tool_calls_total{outcome="ok",tool="add"} 1.0')
        for line in out
    )
    assert any(line.startswith("log: agent calculator run") for line in out)


def test_research_workflow_pauses_for_approval_and_resumes(tmp_path: Path) -> None:
    out = run_example("workflows/research.py", str(tmp_path / "research.db")).splitlines()
    answer = "Yes, if you keep two: llamas are calm and cheap but need company."
    assert out == [
        f"paused: Publish this answer? {answer}",
        'summaries: ["Llamas guard sheep well.", "Llamas eat grass and hay.", '
        '"Llamas are herd animals."]',
        f'report: {{"answer": "{answer}", "decision": "publish", "rounds": 2}}',
        "status: completed",
    ]
