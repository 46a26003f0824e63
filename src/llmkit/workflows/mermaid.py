"""`to_mermaid`: a Mermaid flowchart of a workflow, compound steps as subgraphs."""

from __future__ import annotations

from collections.abc import Sequence

from .definition import ApprovalStep, ConditionalStep, ParallelStep, Step, Workflow, child_steps

__all__ = ["to_mermaid"]


def to_mermaid(workflow: Workflow) -> str:
    """Render `workflow` as ``flowchart TD`` text (step ids are the node ids)."""
    lines = ["flowchart TD", f'  start(["{workflow.name}"])']
    last = _chain(workflow.steps, "start", lines, "  ")
    lines.append('  finish(["end"])')
    lines.append(f"  {last} --> finish")
    return "\n".join(lines)


def _chain(steps: Sequence[Step], previous: str, lines: list[str], pad: str) -> str:
    for step in steps:
        label = f'"{step.id}<br/>{step.kind}"'
        # A hexagon marks where a human decides.
        node = f"{{{{{label}}}}}" if isinstance(step, ApprovalStep) else f"[{label}]"
        lines.append(f"{pad}{step.id}{node}")
        lines.append(f"{pad}{previous} --> {step.id}")
        bodies = child_steps(step)
        if bodies:
            lines.append(f"{pad}subgraph {step.id}_body [{step.id}]")
            for name, body in bodies:
                if isinstance(step, ParallelStep):
                    for branch in body:
                        _chain([branch], step.id, lines, pad + "  ")
                elif body:
                    label = name.rstrip("_") if isinstance(step, ConditionalStep) else ""
                    first = len(lines)
                    _chain(body, step.id, lines, pad + "  ")
                    if label:
                        # Label the edge into the branch: "then" / "else".
                        edge = lines[first + 1]
                        lines[first + 1] = edge.replace(" --> ", f" -->|{label}| ", 1)
            lines.append(f"{pad}end")
        previous = step.id
    return previous
