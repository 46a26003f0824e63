"""Durable workflow runs: SIGKILL a real child at each step boundary and mid-step, resume."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from llmkit.workflows import WorkflowDefinitionError, WorkflowFailed, WorkflowRunner
from llmkit.workflows.checkpoints import CheckpointError, CheckpointStore
from llmkit.workflows.durable import StepInterrupted, resume, run_durable

from .workflow_crash_child import build

CHILD = Path(__file__).with_name("workflow_crash_child.py")


def _crash(tmp_path: Path, pause: str, idempotent: str = "") -> tuple[Path, Path]:
    """Run the child until it blocks at `pause`, then SIGKILL it."""
    db, side = tmp_path / "ckpt.db", tmp_path / "side.txt"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    args = [sys.executable, str(CHILD), str(db), str(side), "run-1", pause, idempotent]
    child = subprocess.Popen(args, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not side.with_suffix(".paused").exists():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "child never reached the pause"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return db, side


async def _reference(tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    runner, workflow = build(tmp_path / "ref.txt")
    async with CheckpointStore(tmp_path / "ref.db") as store:
        result = await run_durable(runner, workflow, {"x": 1}, store)
    return result.output, result.state


def _runs(side: Path) -> Counter[str]:
    return Counter(side.read_text().split())


@pytest.mark.parametrize("k", [1, 2, 3, 4])
async def test_kill_at_each_step_boundary_then_resume(tmp_path: Path, k: int) -> None:
    db, side = _crash(tmp_path, f"after:{k}")
    assert _runs(side) == Counter(f"s{i}" for i in range(1, k + 1))
    runner, workflow = build(side)
    async with CheckpointStore(db) as store:
        assert (await store.get_run("run-1")).status == "running"  # the process died
        result = await resume(runner, workflow, store, "run-1")
        assert (await store.get_run("run-1")).status == "completed"
    assert (result.output, result.state) == await _reference(tmp_path)
    assert _runs(side) == Counter({"s1": 1, "s2": 1, "s3": 1, "s4": 1})
    assert result.steps["s1"].attempts == 0  # restored, not run
    assert result.steps["s4"].attempts == (0 if k == 4 else 1)


async def test_killed_mid_step_not_idempotent_stops_resume(tmp_path: Path) -> None:
    db, side = _crash(tmp_path, "inside:3")
    runner, workflow = build(side)
    async with CheckpointStore(db) as store:
        with pytest.raises(StepInterrupted, match="'s3' started but never finished") as info:
            await resume(runner, workflow, store, "run-1")
        assert info.value.step_id == "s3" and info.value.run_id == "run-1"
        run = await store.get_run("run-1")
        assert run.status == "interrupted" and run.error and "'s3'" in run.error
    assert _runs(side) == Counter({"s1": 1, "s2": 1, "s3": 1})  # nothing ran


@pytest.mark.parametrize("when", ["declared at start", "declared at resume"])
async def test_killed_mid_step_idempotent_reruns(tmp_path: Path, when: str) -> None:
    db, side = _crash(tmp_path, "inside:3", "s3" if when == "declared at start" else "")
    runner, workflow = build(side)
    extra = ["s3"] if when == "declared at resume" else []
    async with CheckpointStore(db) as store:
        result = await resume(runner, workflow, store, "run-1", idempotent=extra)
    assert (result.output, result.state) == await _reference(tmp_path)
    assert _runs(side) == Counter({"s1": 1, "s2": 1, "s3": 2, "s4": 1})


async def test_completed_run_resumes_without_running(tmp_path: Path) -> None:
    runner, workflow = build(tmp_path / "side.txt")
    async with CheckpointStore(tmp_path / "c.db") as store:
        first = await run_durable(runner, workflow, {"x": 1}, store, "r")
        again = await resume(runner, workflow, store, "r")
        with pytest.raises(CheckpointError, match="already exists"):
            await run_durable(runner, workflow, {"x": 1}, store, "r")
        with pytest.raises(CheckpointError, match="no run 'nope'"):
            await resume(runner, workflow, store, "nope")
    assert (again.output, again.state) == (first.output, first.state)
    assert _runs(tmp_path / "side.txt") == Counter({"s1": 1, "s2": 1, "s3": 1, "s4": 1})


async def test_failed_step_marks_run_failed(tmp_path: Path) -> None:
    def boom(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    _, workflow = build(tmp_path / "side.txt")
    runner = WorkflowRunner(scripts={"step": boom})
    async with CheckpointStore(tmp_path / "f.db") as store:
        with pytest.raises(WorkflowFailed):
            await run_durable(runner, workflow, {"x": 1}, store, "r")
        assert (await store.get_run("r")).status == "failed"
        [ckpt] = await store.load_steps("r")
        assert ckpt.status == "failed" and ckpt.error and "disk on fire" in ckpt.error
        with pytest.raises(WorkflowDefinitionError, match="not top-level"):
            await resume(runner, workflow, store, "r", idempotent=["zz"])


async def test_corrupted_database_is_a_checkpoint_error(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.db", tmp_path / "good.db"
    bad.write_bytes(b"this is not a SQLite database at all" * 200)
    runner, workflow = build(tmp_path / "side.txt")
    store = CheckpointStore(bad)
    try:
        with pytest.raises(CheckpointError, match="corrupted or is not a checkpoint database"):
            await run_durable(runner, workflow, {"x": 1}, store, "r")
    finally:
        await store.close()
    async with CheckpointStore(good) as healthy:
        result = await run_durable(runner, workflow, {"x": 1}, healthy, "r")
    assert result.output["last"]["n"] == 4


async def test_corrupted_row_leaves_other_runs_readable(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    runner, workflow = build(tmp_path / "side.txt")
    async with CheckpointStore(db) as store:
        await run_durable(runner, workflow, {"x": 1}, store, "a")
        await run_durable(runner, workflow, {"x": 1}, store, "b")
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute("UPDATE steps SET output = '{oops' WHERE run_id = 'a' AND step_id = 's2'")
    finally:
        conn.close()
    async with CheckpointStore(db) as store:
        with pytest.raises(CheckpointError, match="output of step 's2' is corrupted") as info:
            await resume(runner, workflow, store, "a")
        assert info.value.run_id == "a" and info.value.step_id == "s2"
        result = await resume(runner, workflow, store, "b")
    assert result.output["last"]["acc"] == [1, 2, 3, 4]
