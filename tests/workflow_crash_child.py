"""A 4-step durable workflow run in a real subprocess that the test SIGKILLs.

Usage: ``python workflow_crash_child.py DB SIDE_EFFECTS RUN_ID PAUSE [IDEMPOTENT]`` where
IDEMPOTENT lists step ids (``field:s3`` marks s3 ``idempotent`` in the definition instead
of naming it to `run_durable`) and PAUSE is ``after:K`` (block once step K's ``finished``
checkpoint is committed, before the next step starts), ``inside:K`` (block in step K after
its side effect) or ``none``. While blocked, the child writes ``SIDE_EFFECTS.paused`` so the
parent knows when to kill it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from llmkit.workflows import ScriptStep, Workflow, WorkflowRunner
from llmkit.workflows.checkpoints import CheckpointStore
from llmkit.workflows.durable import run_durable

STEP_IDS = ("s1", "s2", "s3", "s4")


def _block(side: Path) -> None:
    side.with_suffix(".paused").write_text("paused")
    time.sleep(60)  # the parent kills us long before this ends


def build(
    side: Path, pause: str = "none", marked: frozenset[str] = frozenset()
) -> tuple[WorkflowRunner, Workflow]:
    """The runner and workflow; each step appends its id to `side` (double runs show)."""

    def step(n: int, prev: Any) -> dict[str, Any]:
        with side.open("a") as f:
            f.write(f"s{n}\n")
        if pause == f"inside:{n}":
            _block(side)
        acc = [*(prev["acc"] if prev else []), n]
        return {"n": n, "acc": acc, "pair": (n, n * n)}

    steps = tuple(
        ScriptStep(
            id=sid,
            script="step",
            output="total" if sid == "s3" else None,
            idempotent=sid in marked,
            input={"n": i + 1, "prev": f"${{ steps.{STEP_IDS[i - 1]} }}" if i else None},
        )
        for i, sid in enumerate(STEP_IDS)
    )
    workflow = Workflow(
        name="crashy", steps=steps, output="${ {first: steps.s1, last: steps.s4, t: state.total} }"
    )
    return WorkflowRunner(scripts={"step": step}), workflow


class PausingStore(CheckpointStore):
    """Blocks right after the `finished` checkpoint of one step has committed."""

    def __init__(self, path: Path, side: Path, pause: str) -> None:
        super().__init__(path)
        self.side = side
        self.pause = pause

    async def step_finished(self, run_id: str, step_id: str, output_json: str) -> None:
        await super().step_finished(run_id, step_id, output_json)
        if self.pause == f"after:{step_id[1:]}":
            _block(self.side)


async def main(argv: list[str]) -> None:
    db, side, run_id, pause = Path(argv[0]), Path(argv[1]), argv[2], argv[3]
    names = argv[4].split(",") if len(argv) > 4 and argv[4] else []
    idempotent = [n for n in names if not n.startswith("field:")]
    marked = frozenset(n.removeprefix("field:") for n in names if n.startswith("field:"))
    runner, workflow = build(side, pause, marked)
    async with PausingStore(db, side, pause) as store:
        await run_durable(runner, workflow, {"x": 1}, store, run_id, idempotent=idempotent)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
