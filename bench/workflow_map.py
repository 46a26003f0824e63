"""Workflow map steps: the local executor's cost per item, and a Dask cluster against it.

    python bench/workflow_map.py [--sizes 1000 10000 100000] [--sleep-items 1000]
                                 [--cpu-items 100] [--rounds 3] [--skip-dask]

(a) The local asyncio executor maps a no-op transform over 1k, 10k and 100k items, all in
    flight at once: time should grow linearly, so µs per item stays flat.
(b) 1,000 items that each block for 50 ms in a sync script (`time.sleep`, run in a thread
    locally), on a 2-worker Dask cluster (2 processes, 1 thread each) against the local
    executor at the same concurrency (`concurrency: 2`). Sleeping does not need a core, so
    both sides overlap two sleeps and should take about 25 s: the ratio is the Dask
    executor's overhead, not a gain.
(c) The same comparison with 50 ms of pure-Python CPU per item: local threads share one GIL,
    the two Dask workers are two processes, so this is where a cluster pays off (at most 2x
    on this 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from typing import Any

from llmkit.workflows import DaskExecutor, WorkflowRunner, load_workflow

NOOP_MAP = """
name: noop_map
steps:
  - id: each
    kind: map
    over: input
    steps: [{id: echo, kind: transform, value: "${ item }"}]
"""

WORK_MAP = """
name: work_map
steps:
  - id: each
    kind: map
    over: input
    concurrency: LIMIT
    steps: [{id: work, kind: script, script: SCRIPT, input: {n: "${ item }"}}]
"""

WORK_SECONDS = 0.05


def block(n: int) -> int:
    """Hold a thread for 50 ms without using a core."""
    time.sleep(WORK_SECONDS)
    return n


def spin(rounds: int) -> int:
    total = 0
    for i in range(rounds):
        total += i
    return total


def calibrate() -> int:
    """How many `spin` rounds take 50 ms on one core here (best of three)."""
    rounds = 200_000
    best = min(timed(spin, rounds) for _ in range(3))
    return int(rounds * WORK_SECONDS / best)


def timed(fn: Any, arg: int) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


BURN_ROUNDS = calibrate()  # measured on the host; cloudpickle ships the value with `burn`


def burn(n: int) -> int:
    """A fixed 50 ms (on one free core) of pure-Python work, holding the GIL."""
    spin(BURN_ROUNDS)
    return n


async def timed_run(runner: WorkflowRunner, source: str, items: list[int]) -> float:
    workflow = load_workflow(source)
    gc.collect()
    start = time.perf_counter()
    result = await runner.run(workflow, items)
    elapsed = time.perf_counter() - start
    assert result.output == items
    return elapsed


async def local_scaling(sizes: list[int], rounds: int) -> None:
    print(f"(a) local executor, map of a no-op transform, every item in flight, median of {rounds}")
    print(f"{'items':>8} {'seconds':>9} {'µs/item':>9} {'vs first':>9} {'µs/item, gc off':>16}")
    runner = WorkflowRunner()
    first = None
    for size in sizes:
        data = list(range(size))
        seconds = statistics.median(
            [await timed_run(runner, NOOP_MAP, data) for _ in range(rounds)]
        )
        gc.disable()  # shows how much of the growth is the cyclic GC walking live tasks
        try:
            no_gc = statistics.median(
                [await timed_run(runner, NOOP_MAP, data) for _ in range(rounds)]
            )
        finally:
            gc.enable()
        per_item = seconds / size * 1e6
        first = first or per_item
        print(
            f"{size:>8,} {seconds:>9.2f} {per_item:>9.1f} {per_item / first:>9.2f}"
            f" {no_gc / size * 1e6:>16.1f}"
        )


def work_map(script: str, limit: int | None) -> str:
    return WORK_MAP.replace("SCRIPT", script).replace(
        "LIMIT", "null" if limit is None else str(limit)
    )


async def compare(label: str, script: str, items: int, executor: DaskExecutor) -> None:
    scripts: dict[str, Any] = {"block": block, "burn": burn}
    data = list(range(items))
    local = await timed_run(WorkflowRunner(scripts=scripts), work_map(script, 2), data)
    # The cluster's two worker threads are its concurrency; every item is queued at once.
    remote = await timed_run(
        WorkflowRunner(scripts=scripts, executor=executor), work_map(script, None), data
    )
    ideal = items * WORK_SECONDS / 2
    print(
        f"{label:<28} {items:>6,} {local:>9.2f}s {remote:>9.2f}s {local / remote:>9.2f}x"
        f" {ideal:>8.1f}s"
    )


async def dask_comparison(sleep_items: int, cpu_items: int) -> None:
    from distributed import LocalCluster

    async with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            asynchronous=True,
            dashboard_address="127.0.0.1:0",  # no dashboard; HTTP on a free port
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as executor,
    ):
        await timed_run(
            WorkflowRunner(scripts={"block": block}, executor=executor),
            work_map("block", None),
            [0, 1],
        )  # connect and warm the workers
        print(
            "\n(b, c) 2 concurrent: local executor (concurrency 2) vs Dask (2 workers x 1 thread)"
        )
        print(
            f"{'work per item (50 ms)':<28} {'items':>6} {'local':>10} {'dask':>10} "
            f"{'speed-up':>10} {'ideal':>8}"
        )
        await compare("time.sleep (blocking)", "block", sleep_items, executor)
        await compare("pure-Python CPU", "burn", cpu_items, executor)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sleep-items", type=int, default=1_000)
    parser.add_argument("--cpu-items", type=int, default=100)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    asyncio.run(local_scaling(args.sizes, args.rounds))
    if not args.skip_dask:
        asyncio.run(dask_comparison(args.sleep_items, args.cpu_items))


if __name__ == "__main__":
    main()
