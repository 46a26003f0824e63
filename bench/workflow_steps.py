"""Framework time per step of a long sequential workflow, in memory and durable.

    python bench/workflow_steps.py [--steps 1000]

Each step is a no-op `transform` (a constant), so the figures are the engine's own cost per
step: records, hooks lookup, scope and output storage, and for durable runs the SQLite
checkpoint of every top-level step (WAL; `synchronous=FULL`, the default, and NORMAL). The
same workflow at a tenth and ten times the length shows whether cost per step stays flat.
A transform is pure, so its checkpoint is one commit that need not wait for the disk; the
last rows use no-op `script` steps instead, which may have effects, so each one commits an
in-flight marker before it runs and its output after, both flushed under FULL.
Targets: <= 50 µs per step in memory, <= 0.5 ms per step with checkpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from llmkit.workflows import CheckpointStore, Workflow, WorkflowRunner, run_durable
from llmkit.workflows.definition import ScriptStep, TransformStep


def chain(steps: int, *, scripts: bool = False) -> Workflow:
    def step(i: int) -> TransformStep | ScriptStep:
        if scripts:
            return ScriptStep(id=f"s{i}", script="noop", input={"i": i})
        return TransformStep(id=f"s{i}", value=i)

    return Workflow(name=f"chain_{steps}", steps=tuple(step(i) for i in range(steps)))


async def noop(i: int) -> int:
    return i


async def in_memory(steps: int, repeats: int) -> float:
    """Best seconds per step over `repeats` runs."""
    runner, workflow = WorkflowRunner(), chain(steps)
    await runner.run(workflow)  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = await runner.run(workflow)
        best = min(best, time.perf_counter() - start)
    assert result.output == steps - 1
    return best / steps


async def durable(steps: int, synchronous: str, folder: Path, *, scripts: bool) -> float:
    runner, workflow = WorkflowRunner(scripts={"noop": noop}), chain(steps, scripts=scripts)
    path = folder / f"{synchronous}-{scripts}.db"
    async with CheckpointStore(path, synchronous=synchronous) as store:  # type: ignore[arg-type]
        start = time.perf_counter()
        result = await run_durable(runner, workflow, None, store, "run")
        elapsed = time.perf_counter() - start
    assert result.output == steps - 1
    return elapsed / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    n = parser.parse_args().steps
    print(f"{'figure':<54}{'per step':>12}{'target':>10}")
    for steps in (n // 10, n, n * 10):
        per = asyncio.run(in_memory(steps, repeats=5 if steps <= n else 1))
        target = "50 µs" if steps == n else ""
        print(f"{f'in memory, {steps:,} steps':<54}{per * 1e6:>9.1f} µs{target:>10}")
    with tempfile.TemporaryDirectory() as folder:
        for scripts in (False, True):
            for mode in ("FULL", "NORMAL"):
                per = asyncio.run(durable(n, mode, Path(folder), scripts=scripts))
                target = "0.5 ms" if mode == "FULL" and not scripts else ""
                kind = "script" if scripts else "transform"
                label = f"durable, {n:,} {kind} steps, synchronous={mode}"
                print(f"{label:<54}{per * 1e3:>9.3f} ms{target:>10}")


if __name__ == "__main__":
    main()
