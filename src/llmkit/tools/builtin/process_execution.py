"""`process_execution`: run an allowlisted program with arguments, never through a shell."""

from __future__ import annotations

from typing import Any

from ..base import RunContext
from ..decorator import tool
from ._policy import processes_of, workspace_of

__all__ = ["MAX_OUTPUT_BYTES", "process_execution"]

MAX_OUTPUT_BYTES = 100_000
MAX_TIMEOUT = 120.0


@tool(capabilities=["process"], category="system", tags=["builtin"])
async def process_execution(
    ctx: RunContext[Any],
    program: str,
    args: list[str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Run an allowed program. Arguments are passed as they are; there is no shell.

    Args:
        program: The program's name, as allowed by the policy (for example "git").
        args: Its arguments, one string each.
        cwd: A folder in the workspace to run it in.
        timeout: Seconds before it is killed, at most 120.
    """
    processes = processes_of(ctx)
    folder = workspace_of(ctx).resolve(cwd) if cwd is not None else None
    result = await processes.run(
        [program, *(args or [])],
        cwd=folder,
        timeout=min(max(timeout, 0.1), MAX_TIMEOUT),
        max_output=MAX_OUTPUT_BYTES,
    )
    return {
        "returncode": result.returncode,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "truncated": result.truncated,
        "timed_out": result.timed_out,
    }
