"""Shared fixtures. Every test runs with the network blocked except loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmkit.testing import block_network

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    with block_network():
        yield


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No provider variables and no config files leak in from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("LLMKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "OLLAMA_")) or name in (
            "XDG_CONFIG_HOME",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
