"""File paths a bridge opens for a script, checked against the run's permissions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import PermissionDenied

if TYPE_CHECKING:
    from ..host import HostSession

__all__ = ["granted_path"]


def granted_path(session: HostSession, path: str, access: Literal["read", "write"]) -> Path:
    """`path` (relative to the script's folder) when the run may `access` it.

    Writing needs ``--allow-write`` for a folder above it; reading needs ``--allow-read``
    or ``--allow-write`` there.

    Raises:
        PermissionDenied: No grant covers the path (the message names the flag).
    """
    candidate = Path(path)
    if not candidate.is_absolute() and session.folder is not None:
        candidate = session.folder / candidate
    resolved = candidate.resolve()
    grants = session.permissions.write
    if access == "read":
        grants = (*session.permissions.read, *grants)
    for root in grants:
        if resolved.is_relative_to(Path(root).resolve()):
            return resolved
    session.audit(f"{access} {path}", "not granted")
    raise PermissionDenied(
        f"{access} access to {path!r} needs the {access!r} permission "
        f"(grant --allow-{access}=DIR for a folder above it)"
    )
