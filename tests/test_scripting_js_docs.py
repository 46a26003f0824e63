"""The JavaScript reference and declarations come from the registry; examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmkit.scripting import default_registry, run

REPO = Path(__file__).resolve().parent.parent
JS_FENCE = re.compile(r"^```javascript\n(.*?)^```", re.M | re.S)
CORE = ("Tool", "Output", "Schema", "JSON", "log")


def _js_blocks() -> list[tuple[str, str]]:
    found = []
    for page in [
        REPO / "docs" / "scripting.md",
        *sorted((REPO / "docs" / "scripting").glob("*.md")),
    ]:
        for index, match in enumerate(JS_FENCE.finditer(page.read_text(encoding="utf-8"))):
            found.append((f"{page.relative_to(REPO)}#{index}", match.group(1)))
    return found


@pytest.mark.parametrize(("where", "code"), _js_blocks(), ids=lambda v: str(v)[:40])
def test_javascript_example_runs(where: str, code: str) -> None:
    run(code, engine="javascript")  # examples check themselves with assert()


def test_every_core_method_has_a_javascript_example() -> None:
    missing = [
        m.qualified_name
        for m in default_registry()
        if m.bridge in CORE and "javascript" not in m.examples
    ]
    assert not missing


def test_reference_and_declarations_use_camel_case_names() -> None:
    page = (REPO / "docs" / "scripting" / "javascript.md").read_text(encoding="utf-8")
    declarations = (REPO / "docs" / "scripting" / "llmkit.d.ts").read_text(encoding="utf-8")
    for method in default_registry():
        name = method.script_name("javascript")
        assert f"### `{method.bridge}.{name}(" in page
        assert re.search(rf"^  {name}\(.*\): Promise<.*>;$", declarations, re.M), name
    assert "extractJson(text: string): Promise<any>;" in declarations
