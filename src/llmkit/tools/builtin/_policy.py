"""The parts of a run's policy the built-in tools need, or an error the model can read."""

from __future__ import annotations

from typing import Any

from ...policy.network import NetworkPolicy
from ...policy.paths import Workspace
from ...policy.policy import Policy
from ...policy.process import ProcessPolicy
from ..base import RunContext

__all__ = ["network_of", "processes_of", "workspace_of"]


def _policy(ctx: RunContext[Any]) -> Policy:
    return ctx.policy if ctx.policy is not None else Policy()


def workspace_of(ctx: RunContext[Any], *, write: bool = False) -> Workspace:
    """The run's workspace; `CapabilityDenied` unless reading (or writing) is granted."""
    policy = _policy(ctx)
    policy.check_capability("fs.write" if write else "fs.read")
    assert policy.workspace is not None  # granted implies configured
    return policy.workspace


def network_of(ctx: RunContext[Any]) -> NetworkPolicy:
    """The run's network policy; `CapabilityDenied` unless "net" is granted."""
    policy = _policy(ctx)
    policy.check_capability("net")
    assert policy.network is not None
    return policy.network


def processes_of(ctx: RunContext[Any]) -> ProcessPolicy:
    """The run's process allowlist; `CapabilityDenied` unless "process" is granted."""
    policy = _policy(ctx)
    policy.check_capability("process")
    assert policy.processes is not None
    return policy.processes
