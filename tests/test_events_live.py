"""Agent runs as events: EventHooks on a bus, recorded, followed live by `llmkit events tail`,
and replayed by `llmkit events replay`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from llmkit.agents import Agent
from llmkit.events import EventBus
from llmkit.hooks import HookRegistry
from llmkit.hooks.builtin import EventHooks
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool
from tests.servers import LoopbackServer, ScriptedHandler, openai_default_handler


@tool
def add(a: int, b: int) -> int:
    """Add."""
    return a + b


async def test_agent_run_publishes_correlated_events() -> None:
    bus = EventBus()
    seen: list[tuple[str, str | None, dict[str, object]]] = []
    bus.subscribe("**", lambda e: seen.append((e.name, e.run_id, e.payload)))
    hooks = HookRegistry()
    EventHooks(bus).install(hooks)
    model = ScriptedModel([ToolCall(name="add", args={"a": 1, "b": 2}), "3"])
    result = await Agent(model, tools=[add], hooks=hooks, name="calc").run("1+2")
    assert [name for name, _, _ in seen] == [
        "agent.run.started",
        "model.request.started",
        "model.request.completed",
        "tool.call.started",
        "tool.call.completed",
        "model.request.started",
        "model.request.completed",
        "agent.run.completed",
    ]
    assert {run for _, run, _ in seen} == {result.run_id}
    assert seen[3][2]["arguments"] == {"a": 1, "b": 2} and seen[4][2]["result"] == "3"
    assert seen[-1][2]["output"] == "3"


def _env(server: LoopbackServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
    env["OPENAI_BASE_URL"] = server.url + "/v1"
    return env


def test_events_tail_shows_a_live_run_and_replay_reproduces_it(tmp_path: Path) -> None:
    (tmp_path / "echo.yaml").write_text("name: echo\n")
    recording = tmp_path / "run.jsonl"
    with LoopbackServer(ScriptedHandler(default=openai_default_handler)) as server:
        env = _env(server)
        tail = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmkit",
                "events",
                "tail",
                "agent.**",
                "--file",
                str(recording),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(tail.stdout.readline, "")))  # type: ignore[union-attr]
        reader.start()
        try:
            deadline = time.monotonic() + 10
            while not recording.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # the follower has opened the file at its end
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "llmkit",
                    "agent",
                    "run",
                    "echo.yaml",
                    "hello",
                    "-m",
                    "openai:t",
                    "--record",
                    str(recording),
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=60,
            )
            assert run.returncode == 0, run.stderr
            while time.monotonic() < deadline and len(lines) < 2:
                time.sleep(0.05)
        finally:
            tail.terminate()
            tail.wait(timeout=10)
            reader.join(timeout=10)
            tail.stdout.close()  # type: ignore[union-attr]
    events = [json.loads(line) for line in lines]
    assert [e["name"] for e in events] == ["agent.run.started", "agent.run.completed"]
    assert events[1]["payload"]["output"] == "echo: hello"

    replayed = subprocess.run(
        [sys.executable, "-m", "llmkit", "events", "replay", str(recording)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = [json.loads(line)["name"] for line in replayed.stdout.splitlines()]
    assert names == [
        "agent.run.started",
        "model.request.started",
        "model.request.completed",
        "agent.run.completed",
    ]
    recorded = [json.loads(line)["id"] for line in recording.read_text().splitlines()]
    assert [json.loads(line)["id"] for line in replayed.stdout.splitlines()] == recorded
