"""The conformance suite: every registered bridge method, run in every engine that has a
body for it, must give the one expected result; every method has a case per engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from llmkit.scripting import ENGINES, default_registry, run

CASES_FILE = Path(__file__).parent / "scripting" / "conformance.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def _params() -> list[Any]:
    return [
        pytest.param(case, engine, id=f"{engine}:{case['method']}")
        for case in CASES
        for engine in ENGINES
        if engine in case
    ]


@pytest.mark.parametrize(("case", "engine"), _params())
def test_case_gives_expected_result(case: dict[str, Any], engine: str) -> None:
    assert run(case[engine], engine=engine).value == case["expected"]


def test_every_method_has_a_case_in_every_engine() -> None:
    covered = {(case["method"], engine) for case in CASES for engine in ENGINES if engine in case}
    missing = [
        f"{method.qualified_name} in {engine}"
        for method in default_registry()
        for engine in ENGINES
        if (method.qualified_name, engine) not in covered
    ]
    assert not missing, f"bridge methods without a conformance case: {missing}"


def test_cases_name_only_registered_methods() -> None:
    known = {method.qualified_name for method in default_registry()}
    assert {case["method"] for case in CASES} <= known
