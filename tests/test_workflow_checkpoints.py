"""Durable workflow runs: SIGKILL a real child at each step boundary and mid-step, resume."""

from __future__ import annotations

import asyncio
import contextlib
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

from llmkit.memory.schema import configure, migrate
from llmkit.storage import open_checkpoint_store
from llmkit.workflows import (
    DelayStep,
    ScriptStep,
    TransformStep,
    Workflow,
    WorkflowDefinitionError,
    WorkflowFailed,
    WorkflowInputError,
    WorkflowRunner,
)
from llmkit.workflows.checkpoint_schema import MIGRATIONS
from llmkit.workflows.checkpoints import CheckpointError, CheckpointStore, RunCancelled
from llmkit.workflows.durable import StepInterrupted, resume, run_durable

from .conftest import StoreTarget
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


async def test_completed_run_resumes_without_running(
    tmp_path: Path, store_target: StoreTarget
) -> None:
    runner, workflow = build(tmp_path / "side.txt")
    async with open_checkpoint_store(store_target("c")) as store:
        first = await run_durable(runner, workflow, {"x": 1}, store, "r")
        again = await resume(runner, workflow, store, "r")
        with pytest.raises(CheckpointError, match="already exists"):
            await run_durable(runner, workflow, {"x": 1}, store, "r")
        with pytest.raises(CheckpointError, match="no run 'nope'"):
            await resume(runner, workflow, store, "nope")
    assert (again.output, again.state) == (first.output, first.state)
    assert _runs(tmp_path / "side.txt") == Counter({"s1": 1, "s2": 1, "s3": 1, "s4": 1})


async def test_failed_step_marks_run_failed(tmp_path: Path, store_target: StoreTarget) -> None:
    def boom(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    _, workflow = build(tmp_path / "side.txt")
    runner = WorkflowRunner(scripts={"step": boom})
    async with open_checkpoint_store(store_target("f")) as store:
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
        with pytest.raises(CheckpointError, match="output of step 's2' is not JSON") as info:
            await resume(runner, workflow, store, "a")
        assert info.value.run_id == "a" and info.value.step_id == "s2"
        result = await resume(runner, workflow, store, "b")
    assert result.output["last"]["acc"] == [1, 2, 3, 4]


async def test_idempotent_field_in_the_definition_reruns_the_step(tmp_path: Path) -> None:
    db, side = _crash(tmp_path, "inside:3", "field:s3")
    runner, _ = build(side)
    async with CheckpointStore(db) as store:
        # No workflow passed: the definition stored with the run (s3 marked) is used.
        result = await resume(runner, None, store, "run-1")
    assert (result.output, result.state) == await _reference(tmp_path)
    assert _runs(side) == Counter({"s1": 1, "s2": 1, "s3": 2, "s4": 1})


def _sqlite(db: Path, sql: str, *params: Any) -> None:
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


async def test_cancel_stops_a_running_run_at_the_next_step(
    tmp_path: Path, store_target: StoreTarget
) -> None:
    db, ran = store_target("c"), []

    async def work(n: int) -> int:
        ran.append(n)
        if ran == [1]:  # someone else cancels the first run while its step 1 runs
            async with open_checkpoint_store(db) as other:
                assert await other.cancel("r", "operator said stop") == "running"
        return n

    steps = tuple(ScriptStep(id=f"s{n}", script="work", input={"n": n}) for n in (1, 2))
    workflow = Workflow(name="w", steps=steps)
    runner = WorkflowRunner(scripts={"work": work})
    async with open_checkpoint_store(db) as store:
        with pytest.raises(RunCancelled, match="stopped before step 's2'"):
            await run_durable(runner, workflow, None, store, "r")
        run = await store.get_run("r")
        assert (run.status, run.error) == ("cancelled", "operator said stop")
        assert [c.step_id for c in await store.load_steps("r")] == ["s1"]
        with pytest.raises(RunCancelled, match="cannot be resumed"):
            await resume(runner, workflow, store, "r")
        assert await store.cancel("r") == "cancelled"  # again: no change
        await run_durable(runner, workflow, None, store, "done")
        with pytest.raises(CheckpointError, match="completed; there is nothing to cancel"):
            await store.cancel("done")
        with pytest.raises(CheckpointError, match="no run 'ghost'"):
            await store.cancel("ghost")
    assert ran == [1, 1, 2]


async def test_list_runs_filters_newest_first(tmp_path: Path, store_target: StoreTarget) -> None:
    runner, workflow = build(tmp_path / "side.txt")
    failing = WorkflowRunner(scripts={"step": lambda **kw: 1 / 0})
    async with open_checkpoint_store(store_target("l")) as store:
        await run_durable(runner, workflow, {"x": 1}, store, "first")
        with pytest.raises(WorkflowFailed):
            await run_durable(failing, workflow, {"x": 1}, store, "second")
        await run_durable(runner, workflow, {"x": 1}, store, "third", source="/w/crashy.yaml")
        assert [r.run_id for r in await store.list_runs()] == ["third", "second", "first"]
        assert [r.run_id for r in await store.list_runs(status="completed")] == ["third", "first"]
        assert [r.run_id for r in await store.list_runs(limit=1)] == ["third"]
        assert await store.list_runs(workflow="other") == []
        [failed] = await store.list_runs(status="failed")
        assert failed.run_id == "second" and failed.error and "division by zero" in failed.error
        info = await store.get_run("third")
        assert info.source == "/w/crashy.yaml" and info.definition is not None
        assert info.definition["steps"][0] == {
            "kind": "script",
            "id": "s1",
            "script": "step",
            "input": {"n": 1, "prev": None},
        }
        typed = Workflow(name="typed", steps=workflow.steps, input_schema={"type": "object"})
        with pytest.raises(WorkflowInputError):
            await run_durable(runner, typed, [1], store, "bad-input")
        assert (await store.get_run("bad-input")).status == "failed"
        with pytest.raises(CheckpointError, match="unknown run status 'done'"):
            await store.list_runs(status="done")  # type: ignore[arg-type]


async def test_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        configure(conn, synchronous="FULL", busy_timeout=1.0)
        migrate(conn, MIGRATIONS[:1])
        conn.execute(
            "INSERT INTO runs VALUES ('old', 'crashy', '{\"x\": 1}', 'running', NULL, 1, 1)"
        )
        conn.execute(
            "INSERT INTO steps VALUES ('old', 's1', 0, 'finished', ?, NULL, 0, 1, 2)",
            ('{"n": 1, "acc": [1], "pair": [1, 1]}',),
        )
    finally:
        conn.close()
    side = tmp_path / "side.txt"
    runner, workflow = build(side)
    async with CheckpointStore(db) as store:
        with pytest.raises(CheckpointError, match="no stored definition"):
            await resume(runner, None, store, "old")
        result = await resume(runner, workflow, store, "old")
    assert result.output["last"]["acc"] == [1, 2, 3, 4]
    assert _runs(side) == Counter({"s2": 1, "s3": 1, "s4": 1})  # s1 came from the v1 row
    check = sqlite3.connect(db)
    try:
        assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        check.close()


async def test_truncated_database_is_a_checkpoint_error(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    runner, workflow = build(tmp_path / "side.txt")
    async with CheckpointStore(db) as store:
        for i in range(20):
            await run_durable(runner, workflow, {"pad": "x" * 500}, store, f"r{i}")
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    store = CheckpointStore(db)
    try:
        with pytest.raises(CheckpointError, match=f"{db}.*corrupted"):
            await store.list_runs()
        with pytest.raises(CheckpointError, match=f"{db}.*corrupted"):
            await resume(runner, workflow, store, "r19")
    finally:
        await store.close()


async def test_corrupted_run_row_names_the_file_and_spares_the_others(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    runner, workflow = build(tmp_path / "side.txt")
    async with CheckpointStore(db) as store:
        for run_id in ("a", "b", "c"):
            await run_durable(runner, workflow, {"x": 1}, store, run_id)
    _sqlite(db, "UPDATE runs SET input = 'not json' WHERE run_id = 'a'")
    _sqlite(db, "UPDATE runs SET definition = '[1,' WHERE run_id = 'b'")
    async with CheckpointStore(db) as store:
        with pytest.raises(CheckpointError, match=f"{db}, run 'a': the workflow input"):
            await resume(runner, workflow, store, "a")
        with pytest.raises(CheckpointError, match=f"{db}, run 'b': its definition"):
            await store.get_run("b")
        assert {r.run_id for r in await store.list_runs()} == {"a", "b", "c"}
        result = await resume(runner, None, store, "c")
    assert result.output["last"]["n"] == 4


_PURE_CHILD = """
import asyncio, sys
from llmkit.workflows import CheckpointStore, WorkflowRunner, load_workflow, run_durable

workflow = load_workflow('''
name: pure
steps:
  - {id: first, kind: transform, value: 1}
  - {id: wait, kind: delay, seconds: 60}
  - {id: last, kind: transform, value: "${ steps.first }"}
''')


async def main() -> None:
    async with CheckpointStore(sys.argv[1]) as store:
        await run_durable(WorkflowRunner(), workflow, None, store, "pure-run")


asyncio.run(main())
"""


async def test_a_pure_step_in_flight_at_a_crash_runs_again_on_resume(tmp_path: Path) -> None:
    # Transforms and delays have no effects: they get no in-flight marker, so a crash in
    # the middle of one is not an interruption, even though nothing declared it idempotent.
    db, script = tmp_path / "pure.db", tmp_path / "child.py"
    script.write_text(_PURE_CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    child = await asyncio.create_subprocess_exec(sys.executable, str(script), str(db), env=env)
    try:
        deadline = time.monotonic() + 20
        while True:  # until the first step's checkpoint is readable: the delay is running
            assert child.returncode is None and time.monotonic() < deadline
            if db.exists():
                async with CheckpointStore(db) as store:
                    with contextlib.suppress(CheckpointError):
                        if [c.step_id for c in await store.load_steps("pure-run")] == ["first"]:
                            break
            await asyncio.sleep(0.05)
    finally:
        child.kill()
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    workflow = Workflow(
        name="pure",
        steps=(
            TransformStep(id="first", value=1),
            DelayStep(id="wait", seconds=0),
            TransformStep(id="last", value="${ steps.first }"),
        ),
    )
    async with CheckpointStore(db) as store:
        (first,) = await store.load_steps("pure-run")
        assert (first.status, first.output, first.idempotent) == ("finished", 1, True)
        result = await resume(WorkflowRunner(), workflow, store, "pure-run")
        assert result.output == 1
        assert result.steps["first"].attempts == 0  # restored, not run again
        assert (await store.get_run("pure-run")).status == "completed"
