"""An approval that survives a restart: the run pauses, the process exits, a new one resumes.

python examples/approval.py FOLDER
"""

import asyncio
import subprocess
import sys
from pathlib import Path

from llmkit.agents import Agent
from llmkit.agents.approval import Approve, PausedRun
from llmkit.policy import Policy, Workspace
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool


def make_agent(folder: Path, replies: list[object]) -> Agent:
    workspace = Workspace(folder, write=True)

    @tool(capabilities=["fs.write"], requires_approval=True)
    def delete_file(name: str) -> str:
        """Delete a file in the workspace.

        Args:
            name: The file's name.
        """
        workspace.resolve(name, for_write=True).unlink()
        return f"deleted {name}"

    return Agent(
        ScriptedModel(replies),
        name="janitor",
        tools=[delete_file],  # type: ignore[arg-type]
        policy=Policy(workspace=workspace),
    )


async def first_process(folder: Path) -> None:
    (folder / "notes.txt").write_text("old notes")
    agent = make_agent(folder, [ToolCall(name="delete_file", args={"name": "notes.txt"})])
    result = await agent.run("Clean up notes.txt")
    assert result.paused is not None
    (folder / "paused.json").write_text(result.paused.to_json())
    print(f"paused: waiting for approval of {result.paused.pending[0].name}", flush=True)


async def second_process(folder: Path) -> None:
    paused = PausedRun.from_json((folder / "paused.json").read_text())
    agent = make_agent(folder, ["Deleted notes.txt."])
    decisions = {call.id: Approve() for call in paused.pending}
    result = await agent.resume(paused, decisions)
    print(f"approved in a new process: {result.output}")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if len(sys.argv) > 2:
        asyncio.run(second_process(target))
    else:
        asyncio.run(first_process(target))
        subprocess.run([sys.executable, __file__, str(target), "resume"], check=True)
