"""The Dask executor against a real cluster: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1, started once for the module and killed (with every child) after."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmkit.errors import ConfigError
from llmkit.storage import PostgresCheckpointStore
from llmkit.tools import ToolRegistry
from llmkit.workflows import (
    ExpressionError,
    StepFailed,
    WorkflowFailed,
    WorkflowResult,
    WorkflowRunner,
    load_workflow,
)
from llmkit.workflows.dask_executor import DaskExecutor
from llmkit.workflows.durable import resume, run_durable
from llmkit.workflows.fanout import ExecutorError, LocalExecutor
from tests import dask_tasks
from tests.conftest import REPO
from tests.postgres_server import PostgresServer

DASK = Path(sys.executable).parent / "dask"


@dataclass(frozen=True, slots=True)
class Cluster:
    address: str
    workers: frozenset[str]
    processes: tuple[subprocess.Popen[bytes], ...]
    logs: Path


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
        # One task per worker thread at a time (Dask's default queues a second one).
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    }
    with log.open("wb") as out:
        # A session of its own, so the whole process group can be killed at the end.
        return subprocess.Popen(
            [str(DASK), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    # Workers first: a worker whose scheduler is gone retries it instead of exiting.
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_for_address(scheduler_file: Path, scheduler: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError("the dask scheduler exited during start-up")
        if scheduler_file.exists():
            try:
                return str(json.loads(scheduler_file.read_text())["address"])
            except (ValueError, KeyError):
                pass  # half written
        time.sleep(0.1)
    raise TimeoutError("the dask scheduler did not write its address within 60 s")


def _wait_for_workers(address: str, count: int) -> frozenset[str]:
    from distributed import Client

    with Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=60)
        return frozenset(client.scheduler_info()["workers"])


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    common = ["--no-dashboard", "--scheduler-file", str(scheduler_file)]
    # Even without a dashboard the scheduler serves HTTP (health, metrics): on a free port.
    # If this process is killed before teardown, an idle scheduler exits by itself after
    # two minutes and its workers follow it within 30 s.
    where = ["--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0"]
    scheduler = _start(
        ["scheduler", *where, "--idle-timeout", "120s", *common], folder / "scheduler.log"
    )
    processes = [scheduler]
    try:
        address = _wait_for_address(scheduler_file, scheduler)
        for n in (1, 2):
            worker_args = ["--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1"]
            limits = ["--no-nanny", "--memory-limit", "1GiB", "--death-timeout", "30s"]
            processes.append(
                _start(["worker", *worker_args, *limits, *common], folder / f"worker{n}.log")
            )
        workers = _wait_for_workers(address, 2)
        yield Cluster(address=address, workers=workers, processes=tuple(processes), logs=folder)
    finally:
        _stop(processes)
        orphans = [p.pid for p in processes if not _group_is_gone(p.pid)]
        assert orphans == [], f"dask processes left behind in groups {orphans}"


@pytest.fixture
def cluster(dask_cluster: Cluster) -> Cluster:
    """The module's cluster, checked alive: a dead worker would leave tasks queued forever."""
    dead = [p.args for p in dask_cluster.processes if p.poll() is not None]
    if dead:
        pytest.fail(f"dask processes exited: {dead}; see the logs in {dask_cluster.logs}")
    return dask_cluster


def _runner(executor: Any = None, **registries: Any) -> WorkflowRunner:
    scripts = {
        "where": dask_tasks.where,
        "double": dask_tasks.double,
        "fail_on": dask_tasks.fail_on,
        "interval": dask_tasks.interval,
        "add_async": dask_tasks.add_async,
    }
    return WorkflowRunner(
        scripts=scripts, tools=ToolRegistry([dask_tasks.shout]), executor=executor, **registries
    )


def map_of(step: str, *, concurrency: int | None = None) -> str:
    """A workflow that maps one step (a YAML flow mapping) over its input as ``each``."""
    limit = f"    concurrency: {concurrency}\n" if concurrency else ""
    head = "name: mapped\nsteps:\n  - id: each\n    kind: map\n    over: input\n"
    return f"{head}{limit}    steps: [{step}]\n"


MAP_WHERE = map_of('{id: where, kind: script, script: where, input: {n: "${ item }", pause: 0.3}}')


async def test_map_runs_items_on_both_workers(cluster: Cluster) -> None:
    async with DaskExecutor(cluster.address) as executor:
        result = await _runner(executor).run(load_workflow(MAP_WHERE), list(range(6)))
    assert [out["double"] for out in result.output] == [0, 2, 4, 6, 8, 10]
    assert {out["worker"] for out in result.output} == cluster.workers
    assert os.getpid() not in {out["pid"] for out in result.output}
    for i in range(6):
        record = result.steps[f"each[{i}].where"]
        assert record.status == "success" and record.output == result.output[i]
    assert result.steps["each"].status == "success"


NESTED = """
name: nested
steps:
  - id: each
    kind: map
    over: input.groups
    item: group
    steps:
      - {id: label, kind: tool, tool: shout, input: {text: "group {{ index }}"}}
      - id: inner
        kind: map
        over: group
        steps:
          - {id: twice, kind: script, script: double, input: {n: "${ item }"}}
          - {id: plus, kind: script, script: add_async, input: {a: "${ steps.twice }", b: 1}}
      - id: check
        kind: conditional
        if: "length(steps.inner) > `1`"
        then: [{id: many, kind: transform, value: "${ {label: steps.label, sums: steps.inner} }"}]
        else: [{id: one, kind: workflow, workflow: single, input: {values: "${ steps.inner }"}}]
  - id: total
    kind: transform
    value: "${ length(steps.each) }"
output: "${ {each: steps.each, total: steps.total} }"
"""

SINGLE = """
name: single
steps:
  - {id: only, kind: transform, value: "${ {one: input.values} }"}
"""


def _shape(result: WorkflowResult) -> dict[str, tuple[str, Any, int]]:
    return {k: (r.status, r.output, r.attempts) for k, r in result.steps.items()}


async def test_same_outputs_records_and_state_as_local(cluster: Cluster) -> None:
    workflow = load_workflow(NESTED)
    data = {"groups": [[1, 2], [3], [4, 5, 6]]}
    workflows = {"single": load_workflow(SINGLE)}
    local = await _runner(workflows=workflows).run(workflow, data)
    async with DaskExecutor(cluster.address) as executor:
        remote = await _runner(executor, workflows=workflows).run(workflow, data)
    assert remote.output == local.output
    assert remote.output["each"][1] == {"one": [7]}
    assert remote.state == local.state
    assert _shape(remote) == _shape(local)
    assert "each[2].inner[1].plus" in remote.steps
    assert "each[1].one.only" in remote.steps


PARALLEL = """
name: fork
steps:
  - id: both
    kind: parallel
    fail_fast: false
    branches:
      - {id: left, kind: script, script: where, input: {n: 1, pause: 0.3}}
      - {id: right, kind: script, script: where, input: {n: 2, pause: 0.3}}
  - {id: after, kind: transform, value: "${ [steps.left.double, state.right.double] }"}
"""


async def test_parallel_branches_run_remotely_and_merge_back(cluster: Cluster) -> None:
    async with DaskExecutor(cluster.address) as executor:
        result = await _runner(executor).run(load_workflow(PARALLEL))
    assert result.output == [2, 4]
    assert {result.state["left"]["worker"], result.state["right"]["worker"]} == cluster.workers
    assert result.steps["left"].status == result.steps["right"].status == "success"
    assert result.steps["both"].output.keys() == {"left", "right"}


FAILING_MAP = map_of('{id: check, kind: script, script: fail_on, input: {n: "${ item }", bad: 3}}')


async def _failure(runner: WorkflowRunner, source: str, data: Any) -> WorkflowFailed:
    with pytest.raises(WorkflowFailed) as info:
        await runner.run(load_workflow(source), data)
    return info.value


async def test_failing_item_raises_the_same_typed_error_as_local(cluster: Cluster) -> None:
    local = await _failure(_runner(), FAILING_MAP, [1, 3])
    async with DaskExecutor(cluster.address) as executor:
        remote = await _failure(_runner(executor), FAILING_MAP, [1, 3])
    assert remote.step_id == local.step_id == "check"
    step_error = remote.__cause__
    assert isinstance(step_error, StepFailed) and step_error.step_id == "check"
    assert (
        str(step_error) == str(local.__cause__) == "step 'check' failed: ValueError: item 3 is bad"
    )
    assert isinstance(step_error.__cause__, ValueError)
    assert any("raised on worker tcp://127.0.0.1:" in note for note in step_error.__notes__)
    record = remote.result.steps["each[1].check"]
    assert record.status == "failed" and record.error == str(step_error)
    assert remote.result.steps["each"].status == "failed"


async def test_expression_error_on_a_worker_keeps_its_type(cluster: Cluster) -> None:
    source = map_of('{id: say, kind: transform, value: "{{ item.missing.deeper }}"}')
    async with DaskExecutor(cluster.address) as executor:
        failure = await _failure(_runner(executor), source, [1])
    error = failure.__cause__
    assert isinstance(error, ExpressionError)
    assert error.step_id == "say" and error.expression == "{{ item.missing.deeper }}"


PARALLEL_SOME_FAIL = """
name: some_fail
steps:
  - id: fan
    kind: parallel
    fail_fast: false
    branches:
      - {id: good, kind: script, script: fail_on, input: {n: 1, bad: 2}}
      - {id: bad, kind: script, script: fail_on, input: {n: 2, bad: 2}}
"""


async def test_parallel_without_fail_fast_finishes_every_branch(cluster: Cluster) -> None:
    local = await _failure(_runner(), PARALLEL_SOME_FAIL, None)
    async with DaskExecutor(cluster.address) as executor:
        remote = await _failure(_runner(executor), PARALLEL_SOME_FAIL, None)
    assert str(remote) == str(local)
    assert "step 'fan': 1 branch(es) failed: step 'bad' failed: ValueError" in str(remote)
    assert remote.result.steps["good"].status == "success"
    assert remote.result.steps["bad"].status == "failed"


async def test_concurrency_limit_holds_across_the_cluster(cluster: Cluster) -> None:
    span = '{id: span, kind: script, script: interval, input: {n: "${ item }", pause: 0.2}}'
    source = map_of(span, concurrency=1)
    async with DaskExecutor(cluster.address) as executor:
        result = await _runner(executor).run(load_workflow(source), [1, 2, 3, 4])
    spans = sorted(result.output)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


FAIL_FAST = (
    '{id: check, kind: script, script: fail_on, input: {n: "${ item }", bad: 0, pause: 1.5}}'
)


async def test_fail_fast_stops_submitting_items(cluster: Cluster) -> None:
    workflow = load_workflow(map_of(FAIL_FAST, concurrency=1))
    async with DaskExecutor(cluster.address) as executor:
        with pytest.raises(WorkflowFailed) as info:
            await _runner(executor).run(workflow, [0, 1, 2, 3])
    assert info.value.step_id == "check"
    assert "each[0].check" in info.value.result.steps
    later = ("each[1]", "each[2]", "each[3]")
    assert not any(key.startswith(later) for key in info.value.result.steps)


async def test_fail_fast_does_not_wait_for_items_in_flight(cluster: Cluster) -> None:
    workflow = load_workflow(map_of(FAIL_FAST, concurrency=2))
    async with DaskExecutor(cluster.address) as executor:
        started = time.monotonic()
        with pytest.raises(WorkflowFailed, match="item 0 is bad"):
            await _runner(executor).run(workflow, [0, 1])
        elapsed = time.monotonic() - started
    assert elapsed < 1.2, f"waited {elapsed:.2f}s for the item still sleeping on a worker"


POLICIES = """
name: policies
steps:
  - id: each
    kind: map
    over: input
    steps:
      - id: pay
        kind: script
        script: fail_on
        input: {n: "${ item }", bad: 2}
        circuit_breaker: {name: gateway, threshold: 5}
        fallback: {id: later, kind: transform, value: queued}
        compensate: [{id: refund, kind: script, script: double, input: {n: "${ item }"}}]
  - {id: boom, kind: script, script: fail_on, input: {n: 0, bad: 0}}
"""


async def test_fallbacks_breakers_and_compensations_inside_remote_items(
    cluster: Cluster,
) -> None:
    local = await _failure(_runner(), POLICIES, [1, 2, 3])
    async with DaskExecutor(cluster.address) as executor:
        remote = await _failure(_runner(executor), POLICIES, [1, 2, 3])
    assert remote.result.state["each"] == local.result.state["each"] == [1, "queued", 3]
    undone = {(c.step, c.status) for c in remote.result.compensations}
    assert undone == {(c.step, c.status) for c in local.result.compensations}
    assert undone == {("each[0].pay", "success"), ("each[2].pay", "success")}
    assert remote.result.steps["each[2].refund"].output == 6


async def test_unpicklable_script_names_the_step_and_the_script(cluster: Cluster) -> None:
    source = map_of('{id: count, kind: script, script: counter, input: {n: "${ item }"}}')
    runner = WorkflowRunner(
        scripts={"counter": dask_tasks.LockedCounter()}, executor=DaskExecutor(cluster.address)
    )
    failure = await _failure(runner, source, [1, 2])
    error = failure.__cause__
    assert isinstance(error, ExecutorError) and error.step_id == "count"
    assert "step 'count': script 'counter' (LockedCounter()) cannot be sent" in str(error)
    assert "cannot pickle '_thread.lock' object" in str(error)


async def test_script_the_workers_cannot_import_is_named(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "host_only_tasks.py").write_text("def triple(n):\n    return n * 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import host_only_tasks  # type: ignore[import-not-found]

    source = map_of('{id: triple, kind: script, script: triple, input: {n: "${ item }"}}')
    async with DaskExecutor(cluster.address) as executor:
        runner = WorkflowRunner(scripts={"triple": host_only_tasks.triple}, executor=executor)
        failure = await _failure(runner, source, [1])
    error = failure.__cause__
    assert isinstance(error, ExecutorError) and error.step_id == "triple"
    assert "script 'triple' cannot be loaded on the worker" in str(error)
    assert "No module named 'host_only_tasks'" in str(error)
    assert "PYTHONPATH" in str(error)


async def test_unreachable_scheduler_is_an_executor_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        executor = DaskExecutor(f"tcp://127.0.0.1:{port}", connect_timeout=1)
        failure = await _failure(_runner(executor), MAP_WHERE, [1])
    assert isinstance(failure.__cause__, ExecutorError)
    assert f"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}'" in str(failure.__cause__)


async def test_empty_map_needs_no_cluster() -> None:
    executor = DaskExecutor("tcp://127.0.0.1:9")
    assert (await _runner(executor).run(load_workflow(MAP_WHERE), [])).output == []


def test_address_comes_from_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMKIT_DASK_SCHEDULER", " tcp://10.1.2.3:8786 ")
    assert DaskExecutor().address == "tcp://10.1.2.3:8786"
    assert DaskExecutor("tcp://127.0.0.1:1").address == "tcp://127.0.0.1:1"


def test_address_comes_from_llmkit_toml(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "llmkit.toml").write_text('[workflows]\ndask_scheduler = "tcp://10.9.9.9:8786"\n')
    assert DaskExecutor().address == "tcp://10.9.9.9:8786"
    monkeypatch.setenv("LLMKIT_DASK_SCHEDULER", "tcp://10.1.1.1:8786")
    assert DaskExecutor().address == "tcp://10.1.1.1:8786"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[workflows]\ndask_scheduler = 5\n", "dask_scheduler must be a scheduler address"),
        ("[workflows]\nscheduler = 'x'\n", r"\[workflows\]: unknown key\(s\) \['scheduler'\]"),
        ("workflows = 3\n", r"\[workflows\] must be a table"),
    ],
)
def test_bad_workflows_table_is_a_config_error(clean_env: Path, toml: str, message: str) -> None:
    (clean_env / "llmkit.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        DaskExecutor()


def test_missing_address_and_bad_arguments_are_config_errors(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="LLMKIT_DASK_SCHEDULER"):
        DaskExecutor()
    with pytest.raises(ConfigError, match="address must be a scheduler address"):
        DaskExecutor(address=8786)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="connect_timeout must be a positive number"):
        DaskExecutor("tcp://127.0.0.1:1", connect_timeout=0)


def test_runner_rejects_something_that_is_not_an_executor() -> None:
    with pytest.raises(ExecutorError, match="not str"):
        WorkflowRunner(executor="dask")  # type: ignore[arg-type]
    assert isinstance(WorkflowRunner().executor, LocalExecutor)


DURABLE_MAP = MAP_WHERE + '  - {id: total, kind: transform, value: "${ length(steps.each) }"}\n'


async def test_durable_map_on_the_cluster_checkpoints_to_postgres(
    cluster: Cluster, postgres: PostgresServer
) -> None:
    url = postgres.create_database()
    workflow = load_workflow(DURABLE_MAP)
    async with DaskExecutor(cluster.address) as executor, PostgresCheckpointStore(url) as store:
        result = await run_durable(_runner(executor), workflow, list(range(4)), store, "dask-1")
    assert {out["worker"] for out in result.steps["each"].output} == cluster.workers
    async with PostgresCheckpointStore(url) as store:  # another process, as far as it knows
        assert (await store.get_run("dask-1")).status == "completed"
        steps = await store.load_steps("dask-1")
        assert [(s.step_id, s.status) for s in steps] == [
            ("each", "finished"),
            ("total", "finished"),
        ]
        assert [out["double"] for out in steps[0].output] == [0, 2, 4, 6]
        again = await resume(_runner(), workflow, store, "dask-1")  # nothing left to run
    assert again.output == result.output
