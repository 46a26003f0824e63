"""`Permissions`: what a script may reach, in the style of Deno's ``--allow-*`` flags.

Nothing is granted by default except calling models (which can be denied). The same
grants become an `llmkit.policy.Policy`, so tools a script calls obey the rules every
other tool call obeys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .errors import PermissionDenied

if TYPE_CHECKING:
    from ..policy.policy import Policy

__all__ = ["CAPABILITY_PERMISSIONS", "PERMISSION_NAMES", "Permissions"]

PERMISSION_NAMES: tuple[str, ...] = ("read", "write", "net", "run", "env", "model")
"""The permissions a bridge method may require."""

CAPABILITY_PERMISSIONS: dict[str, str] = {
    "fs.read": "read",
    "fs.write": "write",
    "net": "net",
    "process": "run",
}
"""The permission that grants each tool capability."""

_FLAGS = {f"--allow-{name}": name for name in ("read", "write", "net", "run", "env")}


@dataclass(frozen=True, slots=True, kw_only=True)
class Permissions:
    """Grants for one script run; the default grants nothing but model calls.

    Args:
        read: Directories the script may read below.
        write: Directories the script may write below.
        net: Hosts the script may reach.
        run: Programs (bare names) the script may run.
        env: Environment variables the script may read.
        models: Whether the script may call models.
    """

    read: tuple[Path, ...] = ()
    write: tuple[Path, ...] = ()
    net: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    models: bool = True

    def __post_init__(self) -> None:
        for name in ("read", "write", "net", "run", "env"):
            value = getattr(self, name)
            if isinstance(value, str | Path) or not isinstance(value, tuple):
                raise ConfigError(f"Permissions.{name} must be a tuple, got {value!r}")
            if any(not str(item) for item in value):
                raise ConfigError(f"Permissions.{name} holds an empty entry")

    @classmethod
    def from_flags(cls, flags: Iterable[str]) -> Permissions:
        """Permissions from Deno-style flags: ``--allow-read=DIR``, ``--allow-write=DIR``,
        ``--allow-net=HOST``, ``--allow-run=PROGRAM``, ``--allow-env=VAR`` (each may be
        repeated, or list values separated by commas) and ``--deny-models``.

        Raises:
            ConfigError: A flag is unknown or lacks its ``=VALUE``.
        """
        grants: dict[str, list[str]] = {name: [] for name in _FLAGS.values()}
        models = True
        for flag in flags:
            if flag == "--deny-models":
                models = False
                continue
            name, sep, value = flag.partition("=")
            if name not in _FLAGS:
                known = ", ".join([*_FLAGS, "--deny-models"])
                raise ConfigError(f"unknown permission flag {flag!r}; known: {known}")
            if not sep or not value:
                raise ConfigError(f"permission flag {name} needs a value: {name}=VALUE")
            grants[_FLAGS[name]].extend(part for part in value.split(",") if part)
        return cls(
            read=tuple(Path(p) for p in grants["read"]),
            write=tuple(Path(p) for p in grants["write"]),
            net=tuple(grants["net"]),
            run=tuple(grants["run"]),
            env=tuple(grants["env"]),
            models=models,
        )

    def allows(self, permission: str) -> bool:
        """Whether `permission` (one of `PERMISSION_NAMES`) is granted at all."""
        if permission == "model":
            return self.models
        if permission not in PERMISSION_NAMES:
            return False
        return bool(getattr(self, permission))

    def check(self, permission: str, action: str) -> None:
        """Raise `PermissionDenied` naming `action` unless `permission` is granted."""
        if not self.allows(permission):
            flag = (
                "--deny-models is set" if permission == "model" else f"grant --allow-{permission}"
            )
            raise PermissionDenied(f"{action} needs the {permission!r} permission ({flag})")

    def check_env(self, variable: str) -> None:
        """Raise `PermissionDenied` unless reading environment variable `variable` is granted."""
        if variable not in self.env and "*" not in self.env:
            raise PermissionDenied(
                f"reading ${variable} needs the 'env' permission (grant --allow-env={variable})"
            )

    def check_capabilities(self, capabilities: Iterable[str], action: str) -> None:
        """Raise `PermissionDenied` unless every tool capability is granted."""
        for capability in sorted(capabilities):
            permission = CAPABILITY_PERMISSIONS.get(capability)
            if permission is None:
                raise PermissionDenied(f"{action}: unknown capability {capability!r}")
            self.check(permission, f"{action} (capability {capability!r})")

    def to_policy(self) -> Policy:
        """The `llmkit.policy.Policy` granting the same file, network and process access.

        Raises:
            ConfigError: Read and write grant different directories (a policy holds one
                workspace), or a directory or program does not exist.
        """
        from ..policy import NetworkPolicy, Policy, ProcessPolicy, Workspace

        roots = {Path(p).resolve() for p in (*self.read, *self.write)}
        if len(roots) > 1:
            listed = ", ".join(sorted(map(str, roots)))
            raise ConfigError(
                f"a tool policy holds one workspace, but the permissions grant {listed}; "
                "grant one directory"
            )
        workspace = None
        if roots:
            workspace = Workspace(
                roots.pop(), read=bool(self.read) or bool(self.write), write=bool(self.write)
            )
        return Policy(
            workspace=workspace,
            network=NetworkPolicy(list(self.net)) if self.net else None,
            processes=ProcessPolicy(list(self.run)) if self.run else None,
        )
