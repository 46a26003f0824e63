"""A run closes what its bridges opened — stores, temporary folders, recordings, the State
connection — whether it succeeds, fails or times out."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

import pytest

from llmkit.scripting import (
    Limits,
    Permissions,
    ScriptRuntimeError,
    ScriptTimeout,
    load_script,
    run,
)

MEMORY_FOLDER = "llmkit-script-memory-"

USES_EVERYTHING = """
local chat = Memory.conversation("c1")
chat:add("hello")
Memory.remember("facts", {"Cats purr."})
State.open(ARGS.state)
State.set("k", 1)
Event.record(ARGS.events)
Event.emit("job.done", {id = 1})
Event.on("job.*", function() end)
"""


def _memory_folders() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith(MEMORY_FOLDER)}


def _open_files() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # closed while listing
    return found


def _threads() -> set[str]:
    # Engine threads are pooled on purpose; everything else must end with the run.
    return {
        f"{t.name}:{t.ident}"
        for t in threading.enumerate()
        if not t.name.startswith(("llmkit-lua", "llmkit-javascript"))
    }


@pytest.fixture
def warm() -> None:
    """One run first, so lazily started process-wide things are not counted as leaks."""
    run("Memory.remember('warm', {'x'}); return 1")


@pytest.mark.parametrize("ending", ["success", "error", "timeout"])
def test_a_run_closes_its_stores_folders_recordings_and_threads(
    tmp_path: Path, warm: None, ending: str
) -> None:
    folders, threads = _memory_folders(), _threads()
    tail = {
        "success": "return State.get('k')",
        "error": "error('boom')",
        "timeout": "while true do end",
    }[ending]
    args = {"state": str(tmp_path / "state.db"), "events": str(tmp_path / "events.jsonl")}
    options = {
        "args": args,
        "permissions": Permissions(write=(tmp_path,)),
        "limits": Limits(timeout=2.0),
    }
    if ending == "success":
        assert run(USES_EVERYTHING + tail, **options).value == 1
    else:
        expected = ScriptTimeout if ending == "timeout" else ScriptRuntimeError
        with pytest.raises(expected):
            run(USES_EVERYTHING + tail, **options)
    assert _memory_folders() == folders
    assert _threads() == threads
    opened = _open_files()
    assert not [path for path in opened if path.startswith(str(tmp_path))]
    # The recording left running was written out when the run ended.
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["job.done"]


async def test_a_loaded_script_keeps_its_resources_until_closed(warm: None) -> None:
    folders = _memory_folders()
    script = await load_script(
        """
        local chat = Memory.conversation("kept")
        function count() return #chat:messages() end
        chat:add("hello")
        """
    )
    async with script:
        assert len(_memory_folders() - folders) == 1
        assert await script.call("count") == 1
    assert _memory_folders() == folders
