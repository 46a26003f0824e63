"""`Policy`: deny by default; a capability is granted only by configuring its part."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.policy import CapabilityDenied, NetworkPolicy, Policy, ProcessPolicy, Workspace

ALL = ["fs.read", "fs.write", "net", "process"]


@pytest.mark.parametrize("capability", [*ALL, "admin", ""])
def test_empty_policy_grants_nothing(capability: str) -> None:
    with pytest.raises(CapabilityDenied):
        Policy().check_capability(capability)
    assert not Policy().grants(capability)


def test_each_part_grants_its_capability(tmp_path: Path) -> None:
    assert Policy(workspace=Workspace(tmp_path)).grants("fs.read")
    assert not Policy(workspace=Workspace(tmp_path)).grants("fs.write")
    assert Policy(workspace=Workspace(tmp_path, write=True)).grants("fs.write")
    assert not Policy(workspace=Workspace(tmp_path, read=False)).grants("fs.read")
    assert Policy(network=NetworkPolicy(["example.com"])).grants("net")
    assert Policy(processes=ProcessPolicy(["echo"])).grants("process")
    full = Policy(
        workspace=Workspace(tmp_path, write=True),
        network=NetworkPolicy(),
        processes=ProcessPolicy(["echo"]),
    )
    full.check_capabilities(ALL)
    with pytest.raises(CapabilityDenied, match="unknown"):
        full.check_capability("admin")


def test_approval() -> None:
    policy = Policy(approval_required=frozenset({"process"}))
    assert policy.needs_approval("process")
    assert not policy.needs_approval("net")
    with pytest.raises(ValueError, match="unknown"):
        Policy(approval_required=frozenset({"root"}))
