"""`Workspace`: the one directory tree file tools may touch.

Checks are done on real (symlink-resolved) paths, so `..`, absolute paths, symlinks and
sibling prefixes (`/work-evil` next to `/work`) cannot escape the root.

TOCTOU caveat: `resolve` checks the file system as it is *now*. Anything that can change
the tree between the check and the use (another process swapping a directory for a
symlink) can still win the race. `Workspace.open_in_workspace` narrows that window: it
walks from the root one component at a time with `O_NOFOLLOW`, so a symlink planted
after the check makes the open fail instead of following it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError
from .errors import PathDenied

__all__ = ["Workspace"]

StrPath = str | os.PathLike[str]

# mode -> flags; "+" modes are not offered: a tool reads or writes, not both at once.
_MODE_FLAGS = {
    "r": os.O_RDONLY,
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Workspace:
    """A root directory with read and/or write access granted inside it.

    Args:
        root: The directory; it must exist. Its real path is fixed at creation.
        read: Whether reads are allowed.
        write: Whether writes are allowed (off by default: deny by default).
    """

    def __init__(self, root: StrPath, *, read: bool = True, write: bool = False) -> None:
        real = Path(os.path.realpath(os.fspath(root)))
        if not real.is_dir():
            raise ConfigError(f"workspace root {os.fspath(root)!r} is not a directory")
        self.root = real
        self.read = read
        self.write = write

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, read={self.read}, write={self.write})"

    def resolve(self, path: StrPath, *, for_write: bool = False) -> Path:
        """The real path of `path` inside the workspace, or `PathDenied`.

        Relative paths are taken from the root; absolute paths must already lie inside it.
        For writes the parent directory's real path is checked too, so a symlinked
        directory pointing outside cannot be written through.
        """
        if for_write and not self.write:
            raise PathDenied(f"writing {os.fspath(path)!r} refused: workspace is read-only")
        if not for_write and not self.read:
            raise PathDenied(f"reading {os.fspath(path)!r} refused: reads are not granted")
        text = os.fspath(path)
        if not isinstance(text, str):
            raise PathDenied("path refused: only text paths are accepted")
        if "\x00" in text:
            raise PathDenied(f"path {text!r} refused: it contains a NUL byte")
        if not text:
            raise PathDenied("path refused: it is empty")
        if text.startswith("~"):
            # Never expanded: "~/x" would mean the home directory to a human reader.
            raise PathDenied(f"path {text!r} refused: home-relative paths are not allowed")
        candidate = Path(text) if os.path.isabs(text) else self.root / text
        # Lexical check first, so "../x" is refused even when nothing exists there.
        self._require_inside(Path(os.path.normpath(candidate)), text, "lies")
        real = Path(os.path.realpath(candidate))
        self._require_inside(real, text, "resolves")
        if for_write:
            parent = Path(os.path.realpath(candidate.parent))
            self._require_inside(parent, text, "has a parent that resolves")
            if real == self.root:
                raise PathDenied(f"writing {text!r} refused: it is the workspace root")
        return real

    def open_in_workspace(
        self, path: StrPath, mode: str = "r", *, encoding: str | None = None
    ) -> IO[Any]:
        """Open `path` like `open()`, refusing symlinks met on the way.

        `mode` is one of "r", "w", "a", "x", optionally with "b". Writing modes need
        `write=True`. Each directory from the root down and the final component are
        opened with `O_NOFOLLOW` (where the platform has it), see the module docstring.
        """
        kind = mode.replace("b", "")
        if kind not in _MODE_FLAGS or mode.count("b") > 1:
            raise ValueError(f"unsupported mode {mode!r}: use r, w, a or x, optionally with b")
        for_write = kind != "r"
        real = self.resolve(path, for_write=for_write)
        flags = _MODE_FLAGS[kind] | _NOFOLLOW | _CLOEXEC
        fd = self._open_beneath(real, flags)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding or "utf-8")

    def _open_beneath(self, real: Path, flags: int) -> int:
        try:
            return self._open_walk(real, flags)
        except OSError as exc:
            # ELOOP: a final symlink; ENOTDIR: a directory became a symlink (O_NOFOLLOW).
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                name = real.relative_to(self.root)
                raise PathDenied(
                    f"opening {str(name)!r} refused: a symlink is on the way"
                ) from None
            raise

    def _open_walk(self, real: Path, flags: int) -> int:
        parts = real.relative_to(self.root).parts
        if not parts:
            raise PathDenied("opening the workspace root as a file refused")
        if os.open not in os.supports_dir_fd or not _NOFOLLOW:
            return os.open(real, flags, 0o666)
        dir_fd = os.open(self.root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        try:
            for part in parts[:-1]:
                next_fd = os.open(
                    part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd
                )
                os.close(dir_fd)
                dir_fd = next_fd
            return os.open(parts[-1], flags, 0o666, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)

    def _require_inside(self, path: Path, text: str, verb: str) -> None:
        # is_relative_to compares whole components: /work-evil is not inside /work.
        if not path.is_relative_to(self.root):
            raise PathDenied(f"path {text!r} refused: it {verb} outside the workspace")
