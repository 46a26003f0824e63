"""A workflow offered to an agent as a tool (issue 3's workflow-as-tool)."""

from __future__ import annotations

from llmkit.agents import Agent
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.workflows import WorkflowRunner, WorkflowTool, load_workflow

PIPELINE = """\
name: shout
input_schema:
  type: object
  properties: {text: {type: string}}
  required: [text]
steps:
  - id: upper
    kind: script
    script: upper
    input: {text: "${ input.text }"}
  - id: framed
    kind: transform
    value: "** {{ steps.upper }} **"
"""


async def test_agent_calls_a_workflow_tool() -> None:
    runner = WorkflowRunner(scripts={"upper": lambda text: text.upper()})
    shout = WorkflowTool(load_workflow(PIPELINE), runner, description="Shout a text.")
    assert shout.definition.parameters["required"] == ["text"]
    model = ScriptedModel(
        [ToolCall(name="shout", args={"text": "hi"}), ToolCall(name="shout", args={}), "done"]
    )
    result = await Agent(model, tools=[shout]).run("shout hi")
    first = model.requests[1].messages[-1].parts[0]
    assert first.content == "** HI **" and not first.is_error  # type: ignore[union-attr]
    second = model.requests[2].messages[-1].parts[0]
    assert second.is_error and "text" in second.content  # type: ignore[union-attr]
    assert result.output == "done"
