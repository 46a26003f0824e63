"""`Policy`: which capabilities a run grants, and which need a human's approval.

Deny by default: `Policy()` grants nothing. A capability is granted only by configuring
the part that enforces it, so nothing is ever granted without its limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import CapabilityDenied
from .network import NetworkPolicy
from .paths import Workspace
from .process import ProcessPolicy

if TYPE_CHECKING:
    from ..tools.base import Capability

__all__ = ["CAPABILITIES", "Policy"]

CAPABILITIES: frozenset[str] = frozenset({"fs.read", "fs.write", "net", "process"})


@dataclass(frozen=True, slots=True)
class Policy:
    """The parts that enforce each capability; a part left as None refuses it.

    Args:
        workspace: Grants "fs.read" (if `read`) and "fs.write" (if `write`).
        network: Grants "net".
        processes: Grants "process".
        approval_required: Capabilities a human must approve each use of.
    """

    workspace: Workspace | None = None
    network: NetworkPolicy | None = None
    processes: ProcessPolicy | None = None
    approval_required: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.approval_required) - CAPABILITIES
        if unknown:
            raise ValueError(f"unknown capabilities in approval_required: {sorted(unknown)}")

    def grants(self, capability: Capability | str) -> bool:
        """Whether `capability` is granted (unknown names never are)."""
        match capability:
            case "fs.read":
                return self.workspace is not None and self.workspace.read
            case "fs.write":
                return self.workspace is not None and self.workspace.write
            case "net":
                return self.network is not None
            case "process":
                return self.processes is not None
        return False

    def check_capability(self, capability: Capability | str) -> None:
        """Raise `CapabilityDenied` unless `capability` is granted."""
        if capability not in CAPABILITIES:
            raise CapabilityDenied(f"capability {capability!r} refused: unknown capability")
        if not self.grants(capability):
            raise CapabilityDenied(
                f"capability {capability!r} refused: the policy does not configure it"
            )

    def check_capabilities(self, capabilities: Iterable[Capability | str]) -> None:
        """`check_capability` for each one (e.g. a tool's `capabilities`)."""
        for capability in sorted(capabilities):
            self.check_capability(capability)

    def needs_approval(self, capability: Capability | str) -> bool:
        """Whether each use of `capability` must be approved by a human first."""
        return capability in self.approval_required
