"""Approvals survive a restart; the policy refuses capabilities it does not grant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.agents import Agent
from llmkit.agents.approval import Approve, EditArguments, PausedRun, Reject, ResumeError
from llmkit.policy import Policy, Workspace
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool
from tests.conftest import REPO

transfers: list[tuple[str, int]] = []


@tool(requires_approval=True)
def transfer(to: str, amount: int) -> str:
    """Send money."""
    transfers.append((to, amount))
    return f"sent {amount} to {to}"


@tool
def balance() -> int:
    """The balance."""
    return 100


def bank(*replies: object) -> Agent:
    return Agent(ScriptedModel(list(replies)), name="bank", tools=[transfer, balance])  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _reset() -> None:
    transfers.clear()


async def test_run_pauses_and_resumes_after_a_restart() -> None:
    agent = bank(
        [
            ToolCall(name="balance", id="b"),
            ToolCall(name="transfer", id="t", args={"to": "ann", "amount": 5}),
        ]
    )
    first = await agent.run("pay ann 5")
    assert first.paused is not None and first.output is None
    assert [c.id for c in first.paused.pending] == ["t"]
    assert transfers == []  # nothing ran, not even the call that needs no approval
    stored = first.paused.to_json()

    # A new process would rebuild the agent and load the JSON.
    restored = PausedRun.from_json(stored)
    agent2 = bank("Done: sent 5 to ann.")
    final = await agent2.resume(restored, {"t": Approve()})
    assert final.output == "Done: sent 5 to ann."
    assert transfers == [("ann", 5)]
    results = {p.tool_call_id: p.content for p in final.messages[-2].parts}  # type: ignore[union-attr]
    assert results == {"b": "100", "t": "sent 5 to ann"}
    assert final.run_id == first.run_id and final.usage.requests == 2


async def test_edit_and_reject_decisions() -> None:
    agent = bank(ToolCall(name="transfer", id="t", args={"to": "bob", "amount": 500}))
    paused = (await agent.run("pay bob")).paused
    assert paused is not None
    edited = await bank("ok").resume(
        paused, {"t": EditArguments(arguments={"to": "bob", "amount": 50})}
    )
    assert transfers == [("bob", 50)]
    assert edited.messages[-3].tool_calls[0].arguments == {"to": "bob", "amount": 50}

    transfers.clear()
    paused = (
        await bank(ToolCall(name="transfer", id="t", args={"to": "eve", "amount": 1})).run(
            "pay eve"
        )
    ).paused
    assert paused is not None
    model = ScriptedModel(["I did not send it."])
    rejected = await Agent(model, name="bank", tools=[transfer, balance]).resume(
        paused, {"t": Reject(reason="eve is not a known payee")}
    )
    assert transfers == []
    assert "eve is not a known payee" in model.requests[0].messages[-1].parts[0].content  # type: ignore[union-attr]
    assert rejected.output == "I did not send it."


async def test_resume_needs_exactly_the_pending_decisions() -> None:
    paused = (
        await bank(ToolCall(name="transfer", id="t", args={"to": "a", "amount": 1})).run("x")
    ).paused
    assert paused is not None
    with pytest.raises(ResumeError, match="missing"):
        await bank().resume(paused, {})
    with pytest.raises(ResumeError, match="unknown"):
        await bank().resume(paused, {"t": Approve(), "zzz": Approve()})
    with pytest.raises(ResumeError, match="not a paused run"):
        PausedRun.from_json('{"kind": "paused_run"}')


def test_approval_survives_a_real_process_restart(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "approval.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "paused: waiting for approval of delete_file",
        "approved in a new process: Deleted notes.txt.",
    ]
    assert not (tmp_path / "notes.txt").exists()


async def test_policy_denies_undeclared_capabilities(tmp_path: Path) -> None:
    @tool(capabilities=["fs.read"])
    def read_note(name: str) -> str:
        """Read a note."""
        return (tmp_path / name).read_text()

    (tmp_path / "n.txt").write_text("secret")
    model = ScriptedModel([ToolCall(name="read_note", args={"name": "n.txt"}), "ok"])
    result = await Agent(model, tools=[read_note]).run("read it")  # no policy: nothing granted
    refused = result.messages[-2].parts[0]
    assert refused.is_error and "fs.read" in refused.content  # type: ignore[union-attr]
    assert "secret" not in refused.content  # type: ignore[union-attr]

    model = ScriptedModel([ToolCall(name="read_note", args={"name": "n.txt"}), "ok"])
    granted = Agent(model, tools=[read_note], policy=Policy(workspace=Workspace(tmp_path)))
    result = await granted.run("read it")
    assert result.messages[-2].parts[0].content == "secret"  # type: ignore[union-attr]


async def test_policy_can_require_approval_per_capability(tmp_path: Path) -> None:
    @tool(capabilities=["fs.read"])
    def read_note() -> str:
        """Read."""
        return "x"

    policy = Policy(workspace=Workspace(tmp_path), approval_required=frozenset({"fs.read"}))
    agent = Agent(ScriptedModel([ToolCall(name="read_note")]), tools=[read_note], policy=policy)
    assert (await agent.run("x")).paused is not None
