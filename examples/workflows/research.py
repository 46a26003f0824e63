"""A durable research workflow with parallel agents, a revision loop and a human approval.

    python examples/workflows/research.py [CHECKPOINT_DB]

The same workflow is loaded from research.yaml and built with `WorkflowBuilder`; the two
definitions are equal. Agents answer from `ScriptedModel`/`FunctionModel`, so the run is
offline and repeatable. The run pauses at the approval step, and a second store object (as
another process would) resumes it with a decision.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from llmkit.agents import Agent
from llmkit.testing import FunctionModel, RecordedRequest, ScriptedModel
from llmkit.workflows import (
    ApprovalDecision,
    CheckpointStore,
    Steps,
    WorkflowBuilder,
    WorkflowRunner,
    load_workflow,
    resume,
    run_durable,
)

HERE = Path(__file__).parent
SIDES = "from: {{ steps.summaries | join('; ') }}"


def built_in_python() -> object:
    """research.yaml, written with the builder."""
    return (
        WorkflowBuilder(
            "research",
            input_schema={
                "type": "object",
                "properties": {
                    "question": {"type": "string"},
                    "documents": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["question", "documents"],
            },
            output="steps.report",
        )
        .map(
            "summaries",
            "input.documents",
            Steps().agent("summary", "summariser", "Summarise: {{ doc }}"),
            item="doc",
            concurrency=4,
        )
        .parallel(
            "angles",
            Steps()
            .agent("pros", "optimist", f"Arguments for '{{{{ input.question }}}}', {SIDES}")
            .agent("cons", "skeptic", f"Arguments against '{{{{ input.question }}}}', {SIDES}"),
        )
        .loop(
            "drafts",
            Steps()
            .agent(
                "write",
                "writer",
                "Answer '{{ input.question }}'. For: {{ steps.pros }} Against: {{ steps.cons }}"
                " {%- if steps.critique is defined %} Reviewer: {{ steps.critique }}{% endif %}",
            )
            .agent("critique", "critic", "Review this answer: {{ steps.write }}")
            .transform("round", {"answer": "${ steps.write }", "review": "${ steps.critique }"}),
            while_="steps.critique != 'OK'",
            max_iterations=3,
        )
        .approval(
            "publish",
            "Publish this answer? {{ steps.drafts[-1].answer }}",
            options=["publish", "hold"],
        )
        .transform(
            "report",
            {
                "answer": "${ steps.drafts[-1].answer }",
                "rounds": "${ length(steps.drafts) }",
                "decision": "${ steps.publish.value }",
            },
        )
        .build()
    )


def summarise(request: RecordedRequest) -> str:
    # Map items run concurrently: answer from the prompt, not from the order of requests.
    document = request.messages[-1].text.removeprefix("Summarise: ")
    return f"{document.split('.')[0]}."


def agents() -> dict[str, Agent]:
    return {
        "summariser": Agent(FunctionModel(summarise), name="summariser"),
        "optimist": Agent(ScriptedModel(["Llamas are calm and cheap to keep."]), name="optimist"),
        "skeptic": Agent(ScriptedModel(["Llamas need company and space."]), name="skeptic"),
        "writer": Agent(
            ScriptedModel(
                [
                    "Yes: llamas are calm and cheap.",
                    "Yes, if you keep two: llamas are calm and cheap but need company.",
                ]
            ),
            name="writer",
        ),
        "critic": Agent(ScriptedModel(["Mention that they need company.", "OK"]), name="critic"),
    }


async def main(db: Path) -> None:
    workflow = load_workflow(HERE / "research.yaml")
    assert workflow == built_in_python(), "the YAML and the builder differ"
    runner = WorkflowRunner(agents=agents())
    question = {
        "question": "Should a small farm keep llamas?",
        "documents": [
            "Llamas guard sheep well. They are alert.",
            "Llamas eat grass and hay. Costs are low.",
            "Llamas are herd animals. One alone is unhappy.",
        ],
    }
    async with CheckpointStore(db) as store:
        first = await run_durable(runner, workflow, question, store, "research-1")
        assert first.paused is not None
        print("paused:", first.paused.prompt)
        print("summaries:", json.dumps(first.state["summaries"]))
    async with CheckpointStore(db) as store:  # later, as another process would
        done = await resume(
            runner, None, store, "research-1", decision=ApprovalDecision.approve("publish")
        )
        print("report:", json.dumps(done.output, sort_keys=True))
        print("status:", (await store.get_run("research-1")).status)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(main(Path(folder) / "research.db"))
