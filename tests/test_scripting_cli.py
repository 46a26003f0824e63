"""``llmkit run`` and ``llmkit exec``, as separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def llmkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_run_prints_output_then_the_result() -> None:
    done = llmkit("run", "examples/lua/word_tools.lua", "hello from lua")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ["Hello From Lua", "3"]


def test_run_uses_modules_next_to_the_script() -> None:
    done = llmkit("run", "examples/lua/parse_reply.lua")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"city": "Lyon", "population": 522250}


def test_exec_reports_script_errors_with_exit_code_1() -> None:
    done = llmkit("exec", "--engine", "lua", "-e", "local x = nil; return x.field")
    assert done.returncode == 1
    assert "ScriptRuntimeError" in done.stderr and "attempt to index" in done.stderr


def test_timeout_flag_stops_a_runaway_script() -> None:
    done = llmkit("exec", "-e", "while true do end", "--timeout", "0.3")
    assert done.returncode == 1 and "ScriptTimeout" in done.stderr


def test_memory_flag_limits_the_engine() -> None:
    done = llmkit("exec", "-e", "local s = ('x'):rep(2^25)", "--memory", "8")
    assert done.returncode == 1 and "ScriptMemoryError" in done.stderr


def test_args_and_permission_flags_are_accepted(tmp_path: Path) -> None:
    done = llmkit("exec", "-e", "return ARGS", "a", "b", f"--allow-read={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["a", "b"]
    bad = llmkit("exec", "-e", "return 1", "--allow-read")
    assert bad.returncode == 2  # argparse: the flag needs a value


def test_unknown_engine_is_an_error() -> None:
    done = llmkit("exec", "--engine", "cobol", "-e", "1")
    assert done.returncode == 1 and "unknown script engine 'cobol'" in done.stderr
