"""`system_info`: the OS, CPU, memory, disk and uptime of the machine running the agent.

Reads `platform`, `os`, `shutil.disk_usage("/")`, ``/proc/meminfo`` and ``/proc/uptime``
(Linux; elsewhere those parts are None). It needs no capability: it reads no user files
and reports no secrets: no environment variables, user names, host name, paths under a
home directory or network addresses; only the OS name and release identify the machine.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from ..decorator import tool

__all__ = ["Kind", "collect_system_info", "system_info"]

Kind = Literal["os", "cpu", "memory", "disk", "uptime", "all"]

_PROC = Path("/proc")
_MEMINFO_FIELDS = {
    "MemTotal": "total_bytes",
    "MemAvailable": "available_bytes",
    "MemFree": "free_bytes",
    "SwapTotal": "swap_total_bytes",
    "SwapFree": "swap_free_bytes",
}


def os_info() -> dict[str, Any]:
    """The OS name and release, the machine type and the Python running llmkit."""
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
    }


def cpu_info() -> dict[str, Any]:
    """The CPU count (and how many this process may use), the model and the load average."""
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        load = None
    return {
        "count": os.cpu_count(),
        "usable": usable,
        "model": _cpu_model() or platform.processor() or None,
        "load_average": load,
    }


def memory_info(meminfo: Path = _PROC / "meminfo") -> dict[str, Any] | None:
    """Memory and swap in bytes, from ``/proc/meminfo``; None where it cannot be read."""
    try:
        lines = meminfo.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None
    info: dict[str, Any] = {}
    for line in lines:
        name, _, rest = line.partition(":")
        field = _MEMINFO_FIELDS.get(name.strip())
        parts = rest.split()
        if field and parts and parts[0].isdigit():
            # /proc/meminfo says "kB" but means KiB.
            info[field] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return info or None


def disk_info() -> dict[str, Any] | None:
    """Total, used and free bytes of the root file system."""
    try:
        usage = shutil.disk_usage("/")
    except OSError:
        return None
    return {
        "path": "/",
        "total_bytes": usage.total,
        "used_bytes": usage.used,
        "free_bytes": usage.free,
    }


def uptime_info(uptime: Path = _PROC / "uptime") -> dict[str, Any] | None:
    """Seconds since boot, from ``/proc/uptime``, and the same as days, hours, minutes."""
    try:
        seconds = float(uptime.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return {"seconds": round(seconds, 1), "human": f"{days}d {hours}h {minutes}m"}


def collect_system_info(kind: Kind = "all") -> dict[str, Any]:
    """The section `kind` under its name, or every section for ``"all"``."""
    sections: dict[str, Callable[[], dict[str, Any] | None]] = {
        "os": os_info,
        "cpu": cpu_info,
        "memory": memory_info,
        "disk": disk_info,
        "uptime": uptime_info,
    }
    if kind == "all":
        return {name: read() for name, read in sections.items()}
    return {kind: sections[kind]()}


def _cpu_model(cpuinfo: Path = _PROC / "cpuinfo") -> str | None:
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as file:
            for line in file:
                name, _, value = line.partition(":")
                if name.strip() in ("model name", "Model", "Hardware"):
                    return value.strip() or None
    except OSError:
        return None
    return None


@tool(category="system", tags=("builtin",), timeout=10)
def system_info(kind: Kind = "all") -> dict[str, Any]:
    """Describe the machine: OS, CPU, memory, disk and uptime (no user or host names).

    Args:
        kind: Which part to report: os, cpu, memory, disk, uptime or all.
    """
    return collect_system_info(kind)
