"""Docs are code: every example in README.md and docs/ runs, and generated pages are current.

Python blocks run in a fresh interpreter; TOML blocks must load as llmkit configuration;
`llmkit …` lines of shell blocks run as commands. The default model for all of them is a
loopback OpenAI-format server (the one exception, `-m local:smollm2`, runs the real local
model and is marked slow), so examples run offline and fast.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmkit import load_config
from tests.servers import LoopbackServer, ScriptedHandler, openai_default_handler

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for index, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8"))):
            if match.group(1) == language:
                found.append((f"{path.relative_to(REPO)}#{index}", match.group(2)))
    return found


def shell_commands() -> list[tuple[str, str]]:
    commands = []
    for where, text in blocks("sh"):
        for line in text.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith("llmkit "):
                commands.append((where, command))
    return commands


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with LoopbackServer(ScriptedHandler(default=openai_default_handler)) as server:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
        base.update(
            LLMKIT_MODEL="openai:docs-model",
            OPENAI_BASE_URL=server.url + "/v1",
            PYTHONPATH=str(REPO),
        )
        yield base


@pytest.mark.parametrize(("where", "code"), blocks("python"), ids=lambda v: str(v)[:40])
def test_python_examples_run(where: str, code: str, env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stderr}"


@pytest.mark.parametrize(("where", "text"), blocks("toml"), ids=lambda v: str(v)[:40])
def test_toml_examples_load(where: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "llmkit.toml").write_text(text)
    config = load_config(cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert config.files, where


def _shell_params() -> list[object]:
    params: list[object] = []
    for where, command in shell_commands():
        marks = [pytest.mark.slow] if "local:" in command else []
        params.append(pytest.param(where, command, marks=marks, id=command[:50]))
    return params


@pytest.mark.parametrize(("where", "command"), _shell_params())
def test_shell_examples_run(where: str, command: str, env: dict[str, str]) -> None:
    args = shlex.split(command)[1:]
    done = subprocess.run(  # from the repository root, as the docs' paths assume
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{where}: {command}\n{done.stderr}"
    assert done.stdout.strip() or args[0] == "chat"


def test_generated_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_has_exactly_two_setup_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [c for _, c in FENCE.findall(setup)]
    assert [c.split("#")[0].strip() for c in commands] == ["make quickstart", "make test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
