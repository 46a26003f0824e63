"""The scripting reference is generated from the registry and its examples run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.scripting import default_registry, run

REPO = Path(__file__).resolve().parent.parent
LUA_FENCE = re.compile(r"^```lua\n(.*?)^```", re.M | re.S)


def _lua_blocks() -> list[tuple[str, str]]:
    found = []
    for page in [
        REPO / "docs" / "scripting.md",
        *sorted((REPO / "docs" / "scripting").glob("*.md")),
    ]:
        for index, match in enumerate(LUA_FENCE.finditer(page.read_text(encoding="utf-8"))):
            found.append((f"{page.relative_to(REPO)}#{index}", match.group(1)))
    return found


def test_generated_pages_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_script_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_method_has_a_lua_example() -> None:
    missing = [m.qualified_name for m in default_registry() if "lua" not in m.examples]
    assert not missing


@pytest.mark.parametrize(("where", "code"), _lua_blocks(), ids=lambda v: str(v)[:40])
def test_lua_example_runs(where: str, code: str) -> None:
    run(code, engine="lua")  # examples check themselves with assert()


def test_reference_page_documents_every_method() -> None:
    page = (REPO / "docs" / "scripting" / "lua.md").read_text(encoding="utf-8")
    for method in default_registry():
        assert f"### `{method.bridge}.{method.name}(" in page


def test_prelude_functions_are_documented_and_declared() -> None:
    lua = (REPO / "docs" / "scripting" / "lua.md").read_text(encoding="utf-8")
    js = (REPO / "docs" / "scripting" / "javascript.md").read_text(encoding="utf-8")
    declarations = (REPO / "docs" / "scripting" / "llmkit.d.ts").read_text(encoding="utf-8")
    functions = [f for cls in default_registry().classes().values() for f in cls.prelude]
    assert functions  # Async.all at least
    for function in functions:
        assert f"### `{function.signatures['lua']}`" in lua
        assert f"### `{function.signatures['javascript']}`" in js
        assert f"  {function.typescript};" in declarations
