"""system_info: the shape of each section, and that nothing secret leaks into it."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import pytest

from llmkit.tools import ModelRetry, RunContext
from llmkit.tools.builtin import builtin_toolset, system_info
from llmkit.tools.builtin.system_info import collect_system_info, memory_info, uptime_info

SECRET = "sk-fake-SECRET-value-4f9c2a7e1b"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_all_sections() -> None:
    info = collect_system_info()
    assert list(info) == ["os", "cpu", "memory", "disk", "uptime"]
    assert info["os"]["system"] == platform.system()
    assert info["os"]["release"] == platform.release()
    assert isinstance(info["cpu"]["count"], int) and info["cpu"]["count"] >= 1
    assert info["disk"]["path"] == "/"
    assert info["disk"]["total_bytes"] >= info["disk"]["free_bytes"] >= 0
    json.dumps(info)  # the result goes to a model as JSON


@pytest.mark.parametrize("kind", ["os", "cpu", "memory", "disk", "uptime"])
def test_one_section(kind: str) -> None:
    assert list(collect_system_info(kind)) == [kind]  # type: ignore[arg-type]


@linux_only
def test_proc_sections() -> None:
    memory = collect_system_info("memory")["memory"]
    assert memory["total_bytes"] >= memory["available_bytes"] > 0
    uptime = collect_system_info("uptime")["uptime"]
    assert uptime["seconds"] > 0 and uptime["human"].endswith("m")


def test_meminfo_and_uptime_parsing(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16 kB\nMemAvailable:    8 kB\nHugePages_Total: 0\n")
    assert memory_info(meminfo) == {"total_bytes": 16 * 1024, "available_bytes": 8 * 1024}
    uptime = tmp_path / "uptime"
    uptime.write_text("90061.5 1000.0\n")
    assert uptime_info(uptime) == {"seconds": 90061.5, "human": "1d 1h 1m"}
    assert memory_info(tmp_path / "missing") is None
    assert uptime_info(tmp_path / "missing") is None


def test_no_environment_values_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMKIT_TEST_API_KEY", SECRET)
    text = json.dumps(collect_system_info())
    assert SECRET not in text
    for name, value in os.environ.items():
        # Short values ("1", "C") match by chance; anything longer must not appear.
        if len(value) >= 8 and name not in ("PWD", "OLDPWD") and not value.startswith("/"):
            assert value not in text, name
    node = platform.node()
    if len(node) >= 6:
        assert node not in text  # no host name
    home = Path.home().as_posix()
    if home != "/":
        assert home not in text


async def test_through_the_tool_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMKIT_TEST_API_KEY", SECRET)
    ctx = RunContext(deps=None, run_id="t")
    info = await system_info.call(ctx, {"kind": "os"})
    assert info["os"]["system"] == platform.system()
    assert SECRET not in json.dumps(await system_info.call(ctx, {}))
    with pytest.raises(ModelRetry, match="kind"):
        await system_info.call(ctx, {"kind": "env"})
    assert system_info.capabilities == frozenset()


def test_builtin_toolset() -> None:
    toolset = builtin_toolset()
    assert toolset.names == [
        "math_calculator",
        "data_manipulation",
        "feed_processor",
        "system_info",
        "file_operations",
        "http_request",
        "process_execution",
    ]
    guarded = {
        "file_operations": {"fs.read"},
        "http_request": {"net"},
        "process_execution": {"process"},
    }
    assert all(tool.capabilities == guarded.get(tool.name, set()) for tool in toolset)
    assert all("builtin" in tool.tags for tool in toolset)
    assert builtin_toolset() == toolset
