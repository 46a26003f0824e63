"""`file_operations`: read, write and manage files inside the run's workspace, nowhere else."""

from __future__ import annotations

import shutil
import stat as stat_module
from pathlib import Path
from typing import Any, Literal

from ..base import ModelRetry, RunContext
from ..decorator import tool
from ._policy import workspace_of

__all__ = ["MAX_FILE_BYTES", "MAX_LIST_ENTRIES", "file_operations"]

MAX_FILE_BYTES = 1_000_000
MAX_LIST_ENTRIES = 1_000

Operation = Literal[
    "read", "write", "append", "list", "exists", "stat", "mkdir", "copy", "move", "delete"
]
_WRITES = frozenset({"write", "append", "mkdir", "copy", "move", "delete"})


@tool(capabilities=["fs.read"], category="files", tags=["builtin"])
def file_operations(
    ctx: RunContext[Any],
    operation: Operation,
    path: str,
    content: str | None = None,
    destination: str | None = None,
) -> Any:
    """Work with files in the workspace (paths are relative to it).

    Args:
        operation: read, write, append, list, exists, stat, mkdir, copy, move or delete.
        path: The file or folder, relative to the workspace.
        content: The text to write or append.
        destination: Where copy and move put the file.
    """
    workspace = workspace_of(ctx, write=operation in _WRITES)
    target = workspace.resolve(path, for_write=operation in _WRITES)
    if operation == "read":
        with workspace.open_in_workspace(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ModelRetry(
                f"{path} is larger than {MAX_FILE_BYTES} bytes; read something smaller"
            )
        return data.decode("utf-8", "replace")
    if operation in ("write", "append"):
        if content is None:
            raise ModelRetry(f"{operation} needs `content`")
        if len(content.encode()) > MAX_FILE_BYTES:
            raise ModelRetry(f"content is larger than {MAX_FILE_BYTES} bytes")
        with workspace.open_in_workspace(
            path, "a" if operation == "append" else "w", encoding="utf-8"
        ) as handle:
            handle.write(content)
        return f"{'appended' if operation == 'append' else 'wrote'} {len(content)} characters"
    if operation == "list":
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir())
        return entries[:MAX_LIST_ENTRIES]
    if operation == "exists":
        return target.exists()
    if operation == "stat":
        info = target.stat()
        kind = "dir" if stat_module.S_ISDIR(info.st_mode) else "file"
        return {"type": kind, "size": info.st_size, "modified": info.st_mtime}
    if operation == "mkdir":
        target.mkdir(parents=True, exist_ok=True)
        return f"created {path}"
    if operation == "delete":
        if target.is_dir():
            target.rmdir()  # only empty folders: a model never wipes a tree in one call
        else:
            target.unlink()
        return f"deleted {path}"
    if destination is None:
        raise ModelRetry(f"{operation} needs `destination`")
    dest = workspace.resolve(destination, for_write=True)
    if operation == "copy":
        _copy_file(target, dest)
        return f"copied {path} to {destination}"
    target.replace(dest)
    return f"moved {path} to {destination}"


def _copy_file(source: Path, dest: Path) -> None:
    if source.is_dir():
        raise ModelRetry("copy copies files, not folders")
    shutil.copyfile(source, dest, follow_symlinks=False)
