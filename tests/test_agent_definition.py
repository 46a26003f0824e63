"""Agents declared in YAML and JSON, and the agent and tools commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit import ConfigError
from llmkit.agents import Agent
from llmkit.testing import ScriptedModel, ToolCall
from tests.servers import (
    JsonReply,
    LoopbackServer,
    ScriptedHandler,
    openai_default_handler,
    openai_wire,
)

AGENT_YAML = """\
name: calculator
description: Does arithmetic.
model: openai:unused
instructions: Use the calculator.
tools: [math_calculator, file_operations]
output_schema:
  type: object
  properties: {value: {type: number}}
  required: [value]
limits: {max_steps: 5, max_seconds: 30}
settings: {temperature: 0}
policy: {workspace: ., write: false}
"""


async def test_agent_from_yaml(tmp_path: Path) -> None:
    (tmp_path / "calc.yaml").write_text(AGENT_YAML)
    model = ScriptedModel(
        [
            ToolCall(name="math_calculator", args={"expression": "6 * 7"}),
            ToolCall(name="final_result", args={"value": 42}),
        ]
    )
    agent = Agent.from_file(tmp_path / "calc.yaml", model=model)
    assert (agent.name, agent.description) == ("calculator", "Does arithmetic.")
    assert agent.limits.max_steps == 5 and agent.settings is not None
    assert agent.policy.grants("fs.read") and not agent.policy.grants("fs.write")
    result = await agent.run("six times seven")
    assert result.output == {"value": 42}
    assert model.requests[1].messages[-1].parts[0].content == "42"  # type: ignore[union-attr]


async def test_agent_from_json(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"name": "plain", "instructions": "Hi.", "tools": []}))
    agent = Agent.from_file(path, model=ScriptedModel(["hello"]))
    assert (await agent.run("x")).output == "hello"


def test_max_tool_rounds_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: a\nmax_tool_rounds: 1\n")
    assert Agent.from_file(path, model=ScriptedModel([])).max_tool_rounds == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ncolour: red\n", r"unknown field\(s\) \['colour'\]"),
        ("tools: [no_such_tool]\n", r"unknown tool\(s\) \['no_such_tool'\]; available: "),
        ("tools: math_calculator\n", "tools must be a list"),
        ("limits: {max_steps: -1}\n", "limits.max_steps must be a positive number"),
        ("limits: {max_steps: 2.5}\n", "limits.max_steps must be a positive number"),
        ("limits: {budget: 3}\n", "limits: unknown field"),
        ("settings: {temprature: 1}\n", "settings: unknown field"),
        ("policy: {approval_required: [teleport]}\n", "policy: unknown capabilities"),
        ("output_schema: [1]\n", "output_schema must be a JSON schema object"),
        ("max_tool_rounds: -2\n", "max_tool_rounds must be a whole number >= 0"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_definitions_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        Agent.from_file(path, model=ScriptedModel([]))
    assert str(path) in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        Agent.from_file("/nonexistent/agent.yaml")


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


def test_cli_agent_run(tmp_path: Path) -> None:
    (tmp_path / "echo.yaml").write_text("name: echo\ninstructions: Repeat.\n")
    with LoopbackServer(ScriptedHandler(default=openai_default_handler)) as server:
        env = {"OPENAI_BASE_URL": server.url + "/v1"}
        done = cli(
            "agent", "run", "echo.yaml", "hello agent", "-m", "openai:t", cwd=tmp_path, **env
        )
        assert (done.returncode, done.stdout) == (0, "echo: hello agent\n"), done.stderr
        streamed = cli(
            "agent",
            "run",
            "echo.yaml",
            "streamed",
            "-m",
            "openai:t",
            "--stream",
            cwd=tmp_path,
            **env,
        )
        assert streamed.stdout == "echo: streamed\n"
        as_json = json.loads(
            cli(
                "agent", "run", "echo.yaml", "j", "-m", "openai:t", "--json", cwd=tmp_path, **env
            ).stdout
        )
        assert as_json["output"] == "echo: j" and as_json["usage"]["requests"] == 1
        server.enqueue(
            JsonReply(
                200,
                openai_wire.chat_completion(
                    tool_calls=[("c1", "math_calculator", '{"expression": "2+2"}')]
                ),
            )
        )
        (tmp_path / "calc.yaml").write_text("name: calc\ntools: [math_calculator]\n")
        done = cli("agent", "run", "calc.yaml", "2+2?", "-m", "openai:t", cwd=tmp_path, **env)
        assert done.returncode == 0, done.stderr
        assert server.last_request.json["messages"][-1] == {
            "role": "tool",
            "tool_call_id": "c1",
            "content": "4",
        }


def test_cli_tools_list_and_call(tmp_path: Path) -> None:
    listing = cli("tools", "list", "--json", cwd=tmp_path)
    names = {row["name"] for row in json.loads(listing.stdout)}
    assert {
        "math_calculator",
        "file_operations",
        "http_request",
        "process_execution",
        "data_manipulation",
        "feed_processor",
        "system_info",
    } <= names
    done = cli("tools", "call", "math_calculator", '{"expression": "(1+2)*3"}', cwd=tmp_path)
    assert done.stdout.strip() == "9"
    (tmp_path / "f.txt").write_text("content")
    denied = cli(
        "tools", "call", "file_operations", '{"operation": "read", "path": "f.txt"}', cwd=tmp_path
    )
    assert denied.returncode != 0 and "fs.read" in denied.stderr
    granted = cli(
        "tools",
        "call",
        "file_operations",
        '{"operation": "read", "path": "f.txt"}',
        "--workspace",
        ".",
        cwd=tmp_path,
    )
    assert granted.stdout.strip() == "content"
    bad = cli("tools", "call", "math_calculator", "{not json", cwd=tmp_path)
    assert bad.returncode == 2 and "not JSON" in bad.stderr
    unknown = cli("tools", "call", "teleport", cwd=tmp_path)
    assert unknown.returncode == 2 and "available" in unknown.stderr
