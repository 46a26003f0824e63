"""Workspace path checks: every escape attempt must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.errors import ConfigError
from llmkit.policy import PathDenied, PolicyError, Workspace


@pytest.fixture
def root(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "sub" / "deeper").mkdir(parents=True)
    (work / "sub" / "deeper" / "file.txt").write_text("inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET-CONTENT")
    return work


@pytest.fixture
def ws(root: Path) -> Workspace:
    return Workspace(root, read=True, write=True)


ESCAPES = [
    "../etc/passwd",
    "a/../../x",
    "/etc/passwd",
    "foo\x00bar",
    "~/x",
    "~root/x",
    "../outside/secret.txt",
    "sub/../../outside/secret.txt",
    "",
]


@pytest.mark.parametrize("payload", ESCAPES)
@pytest.mark.parametrize("for_write", [False, True])
def test_escapes_are_refused(ws: Workspace, payload: str, for_write: bool) -> None:
    with pytest.raises(PathDenied):
        ws.resolve(payload, for_write=for_write)


def test_absolute_path_outside_is_refused(ws: Workspace, root: Path) -> None:
    with pytest.raises(PathDenied):
        ws.resolve(root.parent / "outside" / "secret.txt")


def test_sibling_prefix_is_refused(tmp_path: Path, root: Path) -> None:
    evil = tmp_path / "work-evil"
    evil.mkdir()
    (evil / "f").write_text("x")
    ws = Workspace(root, write=True)
    for payload in (str(evil / "f"), "../work-evil/f"):
        for for_write in (False, True):
            with pytest.raises(PathDenied):
                ws.resolve(payload, for_write=for_write)


def test_symlink_pointing_outside_is_refused(ws: Workspace, root: Path) -> None:
    (root / "link.txt").symlink_to(root.parent / "outside" / "secret.txt")
    with pytest.raises(PathDenied):
        ws.resolve("link.txt")
    with pytest.raises(PathDenied):
        ws.resolve("link.txt", for_write=True)
    with pytest.raises(PathDenied):
        ws.open_in_workspace("link.txt")


def test_dangling_symlink_pointing_outside_is_refused_for_write(ws: Workspace, root: Path) -> None:
    target = root.parent / "outside" / "new.txt"
    (root / "dangling").symlink_to(target)
    with pytest.raises(PathDenied):
        ws.resolve("dangling", for_write=True)
    with pytest.raises(PolicyError), ws.open_in_workspace("dangling", "w") as f:
        f.write("pwned")
    assert not target.exists()


def test_symlinked_parent_directory_is_refused(ws: Workspace, root: Path) -> None:
    (root / "escape").symlink_to(root.parent / "outside", target_is_directory=True)
    with pytest.raises(PathDenied):
        ws.resolve("escape/new.txt", for_write=True)
    with pytest.raises(PathDenied):
        ws.resolve("escape/secret.txt")
    with pytest.raises(PathDenied):
        ws.open_in_workspace("escape/new.txt", "w")
    assert not (root.parent / "outside" / "new.txt").exists()


def test_error_message_never_leaks_content(ws: Workspace, root: Path) -> None:
    (root / "link.txt").symlink_to(root.parent / "outside" / "secret.txt")
    with pytest.raises(PathDenied) as info:
        ws.open_in_workspace("link.txt")
    assert "TOP-SECRET" not in str(info.value)
    assert "link.txt" in str(info.value)


def test_legitimate_paths_are_accepted(ws: Workspace, root: Path) -> None:
    assert ws.resolve("sub/deeper/file.txt") == root / "sub" / "deeper" / "file.txt"
    assert ws.resolve(root / "sub" / "deeper" / "file.txt") == root / "sub/deeper/file.txt"
    assert ws.resolve("sub/./deeper/../deeper/file.txt") == root / "sub/deeper/file.txt"
    assert ws.resolve("sub/new/child.txt", for_write=True) == root / "sub/new/child.txt"
    with ws.open_in_workspace("sub/deeper/file.txt") as f:
        assert f.read() == "inside"
    with ws.open_in_workspace("sub/out.bin", "wb") as f:
        f.write(b"data")
    assert (root / "sub" / "out.bin").read_bytes() == b"data"


def test_symlink_inside_workspace_is_followed_for_reads(ws: Workspace, root: Path) -> None:
    (root / "alias").symlink_to(root / "sub" / "deeper" / "file.txt")
    assert ws.resolve("alias") == root / "sub" / "deeper" / "file.txt"
    with ws.open_in_workspace("alias") as f:
        assert f.read() == "inside"


def test_access_modes_deny_by_default(root: Path) -> None:
    read_only = Workspace(root)
    with pytest.raises(PathDenied):
        read_only.resolve("new.txt", for_write=True)
    with pytest.raises(PathDenied):
        read_only.open_in_workspace("new.txt", "w")
    write_only = Workspace(root, read=False, write=True)
    with pytest.raises(PathDenied):
        write_only.resolve("sub/deeper/file.txt")


def test_swapped_directory_after_check_is_not_followed(
    ws: Workspace, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates the race: the check saw a real directory, the open meets a symlink.
    real = ws.resolve("swap/f.txt", for_write=True)
    (root / "swap").symlink_to(root.parent / "outside", target_is_directory=True)
    monkeypatch.setattr(ws, "resolve", lambda path, *, for_write=False: real)
    with pytest.raises(PathDenied):
        ws.open_in_workspace("swap/f.txt", "w")
    assert not (root.parent / "outside" / "f.txt").exists()


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Workspace(tmp_path / "missing")
