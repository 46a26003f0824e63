"""Finding the text of a module a script ``require``s, for every engine.

Modules come only from the script's own folder and the configured module paths, by a
dotted name (``util.strings`` -> ``util/strings.lua`` or ``util/strings/init.lua``), and
are read as text: no native modules, no paths that climb out of those folders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PermissionDenied

if TYPE_CHECKING:
    from .host import HostSession

__all__ = ["MAX_MODULE_BYTES", "read_module"]

MAX_MODULE_BYTES = 4 * 2**20
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


def read_module(session: HostSession, name: str, extension: str) -> tuple[Path, str]:
    """The path and text of module `name`.

    Raises:
        PermissionDenied: The name is malformed, or no module of that name is in the
            script's folder or the module paths (the message lists where it looked).
    """
    if not _NAME.match(name):
        raise PermissionDenied(f"module name {name!r} is not a dotted identifier")
    remote = getattr(session, "read_remote_module", None)
    if remote is not None:  # an isolated worker: the host reads it, under its permissions
        found: tuple[Path, str] = remote(name, extension)
        return found
    relative = Path(*name.split("."))
    roots = [root for root in (session.folder, *session.module_paths) if root is not None]
    for root in roots:
        base = root.resolve()
        for candidate in (relative.with_suffix(extension), relative / f"init{extension}"):
            path = (base / candidate).resolve()
            if not path.is_relative_to(base) or not path.is_file():
                continue
            if path.stat().st_size > MAX_MODULE_BYTES:
                raise PermissionDenied(f"module {name!r} is larger than {MAX_MODULE_BYTES} bytes")
            return path, path.read_text(encoding="utf-8")
    searched = ", ".join(str(root) for root in roots) or "no folders (the script came as text)"
    raise PermissionDenied(f"module {name!r} not found; searched {searched}")
