"""`DaskExecutor`: map items and parallel branches as tasks on a Dask cluster.

Needs ``pip install 'llmkit[dask]'``; `distributed` is imported on first use. Each branch
becomes one Dask task that rebuilds a `WorkflowRunner` on the worker from the registry
entries its steps use and runs the steps there (see `llmkit.workflows.portable` for what
can travel). The host's event loop stays free: the client is asynchronous.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .fanout import Branch, ExecutorError, gather_limited
from .portable import pack_branch, pack_runner, run_packed_branch, unpack_outcome

if TYPE_CHECKING:
    from types import TracebackType

    from distributed import Client

    from .engine import _Run

__all__ = ["DaskExecutor"]

INSTALL_HINT = "pip install 'llmkit[dask]'"


class DaskExecutor:
    """Runs map items and parallel branches as tasks on a Dask cluster.

    Concurrency limits (`concurrency`, `max_concurrency`) cap the tasks in flight on the
    cluster; fail-fast cancels the tasks still queued (one already running finishes on
    its worker and its result is dropped). Nested steps run on the worker with the local
    executor, without the runner's hooks; their records come back under the same keys as
    a local run (``each[3].inner``). Workers need llmkit and the modules of the
    registered functions importable.

    Connects on first use; `close` (or ``async with``) disconnects. A client belongs to
    one event loop, so a run on another loop connects again.

    Args:
        address: The scheduler, like ``"tcp://10.0.0.5:8786"``. Default: ``[workflows]
            dask_scheduler`` from llmkit.toml, or the ``LLMKIT_DASK_SCHEDULER`` variable.
        connect_timeout: Seconds to wait for the scheduler.

    Raises:
        ConfigError: `distributed` is not installed, or no address is given or configured.
    """

    def __init__(self, address: str | None = None, *, connect_timeout: float = 30.0) -> None:
        if importlib.util.find_spec("distributed") is None:
            raise ConfigError(f"the Dask executor needs distributed: {INSTALL_HINT}")
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConfigError(
                f"address must be a scheduler address like 'tcp://host:8786', not {address!r}"
            )
        if not address:
            from ..config import load_config

            address = load_config().dask_scheduler
        if not address:
            raise ConfigError(
                "no Dask scheduler: pass DaskExecutor(address=...), set "
                "LLMKIT_DASK_SCHEDULER, or set dask_scheduler under [workflows] in llmkit.toml"
            )
        if not isinstance(connect_timeout, int | float) or connect_timeout <= 0:
            raise ConfigError(f"connect_timeout must be a positive number, not {connect_timeout!r}")
        self.address = address.strip()
        self.connect_timeout = float(connect_timeout)
        self._client: Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: asyncio.Lock | None = None

    async def run_branches(
        self,
        run: _Run,
        branches: Sequence[Branch],
        *,
        limit: int | None,
        fail_fast: bool,
        step_id: str,
    ) -> list[Any]:
        """Run `branches` as Dask tasks at most `limit` at a time (see `gather_limited`).

        Raises:
            ExecutorError: Something a branch needs cannot be sent (names the step and the
                entry), or the scheduler cannot be reached.
            StepFailed: A nested step failed on a worker, as it would have locally.
        """
        if not branches:
            return []
        # Map items share one steps tuple: walk it once, not once per item.
        step_lists = list({id(b.steps): b.steps for b in branches}.values())
        runner_blob = pack_runner(run.runner, step_lists, run_id=run.run_id)
        packed = [pack_branch(branch, step_id=step_id) for branch in branches]
        client = await self._client_for_this_loop()
        jobs = [
            self._one(client, run, branch, runner_blob, blob, step_id)
            for branch, blob in zip(branches, packed, strict=True)
        ]
        return await gather_limited(jobs, limit, fail_fast=fail_fast, step_id=step_id)

    async def _one(
        self,
        client: Client,
        run: _Run,
        branch: Branch,
        runner_blob: bytes,
        branch_blob: bytes,
        step_id: str,
    ) -> Any:
        key = f"llmkit-{branch.label}-{uuid.uuid4().hex}"
        future = client.submit(run_packed_branch, runner_blob, branch_blob, branch.label, key=key)
        try:
            blob = await future
        except asyncio.CancelledError:
            await client.cancel([future])  # type: ignore[no-untyped-call]
            raise
        except Exception as exc:  # the task itself died: a lost worker, a cancelled key
            raise ExecutorError(
                f"step {step_id!r}: Dask could not run {branch.label}: {type(exc).__name__}: {exc}",
                step_id=step_id,
            ) from exc
        outcome = unpack_outcome(blob, label=branch.label, step_id=step_id)
        return outcome.apply(run, branch.scope)

    async def _client_for_this_loop(self) -> Client:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A client (and a lock) from another loop cannot be used or closed here.
            self._client, self._loop, self._connecting = None, loop, asyncio.Lock()
        assert self._connecting is not None
        async with self._connecting:
            if self._client is None:
                self._client = await self._connect()
            return self._client

    async def _connect(self) -> Client:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ConfigError(f"the Dask executor needs distributed: {INSTALL_HINT}") from exc
        try:
            client: Client = await Client(  # type: ignore[no-untyped-call]
                self.address,
                asynchronous=True,
                set_as_default=False,
                timeout=self.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {self.address!r}: {exc}"
            ) from exc
        return client

    async def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.close()  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> DaskExecutor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"DaskExecutor(address={self.address!r})"
