"""Delegation: agents as tools, and hand-offs between agents."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmkit.agents import Agent, LimitExceeded, UsageLimits
from llmkit.testing import ScriptedModel, ToolCall
from tests.conftest import REPO


async def test_agent_as_tool_answers_and_adds_its_usage() -> None:
    expert_model = ScriptedModel(["Paris"])
    expert = Agent(
        expert_model,
        name="geographer",
        description="Knows capitals.",
        instructions="Answer with the city only.",
    )
    boss_model = ScriptedModel(
        [ToolCall(name="geographer", args={"input": "Capital of France?"}), "It is Paris."]
    )
    boss = Agent(boss_model, tools=[expert.as_tool()])
    result = await boss.run("What is the capital of France?")
    assert result.output == "It is Paris."
    assert expert_model.requests[0].messages[-1].text == "Capital of France?"
    assert result.messages[2].parts[0].content == "Paris"  # type: ignore[union-attr]
    tool_def = boss_model.requests[0].tools[0]
    assert (tool_def.name, tool_def.description) == ("geographer", "Knows capitals.")
    assert result.usage.requests == 3  # two of the boss, one of the expert


async def test_handoff_continues_the_conversation_with_the_specialist() -> None:
    specialist_model = ScriptedModel(["Specialist here: done."])
    specialist = Agent(specialist_model, name="billing", instructions="You do billing.")
    triage_model = ScriptedModel([ToolCall(name="transfer_to_billing")])
    triage = Agent(triage_model, name="triage", instructions="Route.", handoffs=[specialist])
    result = await triage.run("refund please")
    assert result.output == "Specialist here: done."
    seen = specialist_model.requests[0].messages
    assert seen[0].text == "You do billing."  # the specialist's instructions replace triage's
    assert [m.role for m in seen] == ["system", "user", "assistant", "tool"]
    assert seen[-1].parts[0].content == "Transferred to billing."  # type: ignore[union-attr]
    assert "transfer_to_billing" in [t.name for t in triage_model.requests[0].tools]


async def test_limits_span_handoffs() -> None:
    loop_b = Agent(ScriptedModel([ToolCall(name="transfer_to_a")] * 10), name="b")
    loop_a = Agent(
        ScriptedModel([ToolCall(name="transfer_to_b")] * 10),
        name="a",
        handoffs=[loop_b],
        limits=UsageLimits(max_steps=4),
    )
    loop_b.handoffs["transfer_to_a"] = loop_a  # a cycle, as users can build by accident
    loop_b._definitions.append(loop_a._definitions[0])
    with pytest.raises(LimitExceeded) as info:
        await loop_a.run("ping")
    assert info.value.limit == "max_steps"


def test_triage_example_runs() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "triage.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Your refund for A-1001 was sent on Monday."
