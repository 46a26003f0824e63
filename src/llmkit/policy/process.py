"""`ProcessPolicy`: run allowlisted programs without a shell, a clean env, and limits.

Arguments go to `execve` verbatim (no shell), so `; rm -rf /`, `$(id)` and backticks
are plain text. Each run gets its own session (process group); at the timeout or when
the output cap is hit the whole group is killed, so children die with their parent.
A program that starts its own session escapes the group kill: allowlist accordingly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .errors import ProcessDenied

__all__ = ["ProcessPolicy", "ProcessResult"]

BASE_ENV: Mapping[str, str] = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
_READ_SIZE = 65536


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How a run ended. `returncode` is negative when a signal ended it (-9: killed)."""

    returncode: int
    stdout: str
    stderr: str
    truncated: bool = False
    timed_out: bool = False


class ProcessPolicy:
    """An allowlist of program names, resolved to absolute paths once, at creation.

    Args:
        allowed: Program names (looked up with `shutil.which`), or a mapping of name to
            absolute path (None: look it up).

    Raises:
        ConfigError: A name contains a path separator, a program cannot be found, or a
            given path is not absolute.
    """

    def __init__(self, allowed: Mapping[str, str | None] | Sequence[str]) -> None:
        if isinstance(allowed, str):
            raise TypeError("allowed must be a sequence of names, not one string")
        pairs = allowed.items() if isinstance(allowed, Mapping) else ((n, None) for n in allowed)
        self.programs: dict[str, str] = {}
        for name, given in pairs:
            if not name or os.sep in name or (os.altsep and os.altsep in name):
                raise ConfigError(f"program {name!r}: allowlist bare names, not paths")
            path = given if given is not None else shutil.which(name)
            if path is None:
                raise ConfigError(f"program {name!r} not found on PATH")
            if not os.path.isabs(path):
                raise ConfigError(f"program {name!r}: path {path!r} is not absolute")
            self.programs[name] = path

    def __repr__(self) -> str:
        return f"ProcessPolicy({sorted(self.programs)!r})"

    def resolve(self, program: str) -> str:
        """The absolute path of an allowlisted program name, or `ProcessDenied`."""
        # By name only: "/bin/sh" or "./x" never match, whatever they point to.
        path = self.programs.get(program)
        if path is None:
            raise ProcessDenied(f"program {program!r} refused: not on the allowlist")
        return path

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        timeout: float,
        max_output: int = 1_000_000,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        """Run `argv` (argv[0] an allowlisted name) and collect its output.

        The environment is only `PATH=/usr/bin:/bin`, `LANG=C.UTF-8` and `env`; stdin is
        closed. `max_output` caps stdout and stderr each; going over it kills the
        process group and sets `truncated`. At `timeout` seconds the group is killed and
        `timed_out` is set.
        """
        if isinstance(argv, str) or not argv:
            raise ProcessDenied("run refused: argv must be a non-empty sequence of strings")
        program = self.resolve(argv[0])
        for arg in argv:
            if not isinstance(arg, str) or "\x00" in arg:
                raise ProcessDenied(f"run of {argv[0]!r} refused: an argument is malformed")
        full_env = dict(BASE_ENV)
        for key, value in (env or {}).items():
            if not key or "=" in key or "\x00" in key or "\x00" in value:
                raise ProcessDenied(f"run of {argv[0]!r} refused: bad variable {key!r}")
            full_env[key] = value
        proc = await asyncio.create_subprocess_exec(
            program,
            *argv[1:],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=full_env,
            start_new_session=True,
        )
        out, err = _Capture(max_output, proc), _Capture(max_output, proc)
        timed_out = False
        try:
            async with asyncio.timeout(timeout):
                assert proc.stdout is not None and proc.stderr is not None
                await asyncio.gather(out.drain(proc.stdout), err.drain(proc.stderr))
                await proc.wait()
        except TimeoutError:
            timed_out = True
            _kill_group(proc)
        finally:
            if proc.returncode is None:  # cancelled or failed: never leave it running
                _kill_group(proc)
            await proc.wait()
        return ProcessResult(
            returncode=proc.returncode if proc.returncode is not None else -1,
            stdout=out.text(),
            stderr=err.text(),
            truncated=out.truncated or err.truncated,
            timed_out=timed_out,
        )


class _Capture:
    """Reads one pipe to EOF, keeping at most `limit` bytes."""

    def __init__(self, limit: int, proc: asyncio.subprocess.Process) -> None:
        self.limit = limit
        self.proc = proc
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_READ_SIZE):
            room = self.limit - self.size
            if len(chunk) > room:
                if not self.truncated:
                    self.truncated = True
                    _kill_group(self.proc)  # more output is wasted work; stop it now
                chunk = chunk[: max(room, 0)]
            self.chunks.append(chunk)
            self.size += len(chunk)
        # Reading to EOF (discarding past the cap) lets the pipe close cleanly.

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    # The group id is the child's pid (start_new_session). While the group has members
    # the id cannot be reused, so this never hits an unrelated process.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
