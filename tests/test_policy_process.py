"""Process policy: allowlist by name, no shell, clean env, timeouts and output caps."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from llmkit.errors import ConfigError
from llmkit.policy import ProcessDenied, ProcessPolicy


@pytest.fixture
def procs() -> ProcessPolicy:
    return ProcessPolicy(["echo", "env", "sleep", "yes", "pwd"])


async def test_arguments_are_passed_verbatim(procs: ProcessPolicy) -> None:
    payloads = ["; rm -rf /", "$(id)", "`id`", "| cat /etc/passwd", "&& touch pwned", "*"]
    result = await procs.run(["echo", *payloads], timeout=5)
    assert result.returncode == 0
    assert result.stdout == " ".join(payloads) + "\n"
    assert not result.truncated and not result.timed_out


@pytest.mark.parametrize(
    "argv",
    [
        ["sh", "-c", "id"],
        ["/bin/sh", "-c", "id"],
        ["bash", "-c", "id"],
        ["./echo", "x"],
        ["/bin/echo", "x"],
        ["/usr/bin/env", "sh"],
        ["python3", "-c", "print(1)"],
        ["echo x"],
    ],
)
async def test_unlisted_programs_are_refused(procs: ProcessPolicy, argv: list[str]) -> None:
    with pytest.raises(ProcessDenied):
        await procs.run(argv, timeout=5)


async def test_empty_or_string_argv_is_refused(procs: ProcessPolicy) -> None:
    with pytest.raises(ProcessDenied):
        await procs.run([], timeout=5)
    with pytest.raises(ProcessDenied):
        await procs.run("echo", timeout=5)
    with pytest.raises(ProcessDenied):
        await procs.run(["echo", "a\x00b"], timeout=5)


async def test_environment_is_clean(procs: ProcessPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMKIT_TEST_SECRET", "s3cr3t-value")
    result = await procs.run(["env"], timeout=5, env={"EXTRA": "given"})
    lines = set(result.stdout.splitlines())
    assert "s3cr3t-value" not in result.stdout
    assert lines == {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "EXTRA=given"}


async def test_bad_env_names_are_refused(procs: ProcessPolicy) -> None:
    with pytest.raises(ProcessDenied):
        await procs.run(["env"], timeout=5, env={"A=B": "x"})


async def test_timeout_kills_the_process(procs: ProcessPolicy) -> None:
    started = time.monotonic()
    result = await procs.run(["sleep", "10"], timeout=0.5)
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.returncode == -9
    assert elapsed < 3


async def test_output_cap_truncates(procs: ProcessPolicy) -> None:
    started = time.monotonic()
    result = await procs.run(["yes", "spam"], timeout=10, max_output=1000)
    assert result.truncated
    assert not result.timed_out  # hitting the cap stops it, no need to wait for the timeout
    assert len(result.stdout) == 1000
    assert result.stdout.startswith("spam\nspam\n")
    assert time.monotonic() - started < 5


async def test_stdin_is_closed_and_cwd_used(tmp_path: Path) -> None:
    procs = ProcessPolicy({"cat": None, "pwd": None})
    result = await procs.run(["cat"], timeout=5)
    assert result.returncode == 0 and result.stdout == ""
    result = await procs.run(["pwd"], cwd=tmp_path, timeout=5)
    assert result.stdout.strip() == str(tmp_path)  # pytest's tmp_path is already real


def test_allowlist_resolves_names_at_creation() -> None:
    procs = ProcessPolicy({"echo": None})
    assert os.path.isabs(procs.resolve("echo"))
    with pytest.raises(ConfigError):
        ProcessPolicy(["/bin/sh"])
    with pytest.raises(ConfigError):
        ProcessPolicy(["no-such-program-llmkit"])
    with pytest.raises(ConfigError):
        ProcessPolicy({"echo": "relative/echo"})


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped by init


def _dies_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
async def test_timeout_kills_the_whole_process_group() -> None:
    procs = ProcessPolicy(["sh"])
    result = await procs.run(["sh", "-c", "sleep 30 & echo $!; wait"], timeout=0.5)
    assert result.timed_out
    child = int(result.stdout.strip())
    assert _dies_within(child, 2.0)
