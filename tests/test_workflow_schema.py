"""The published JSON Schema of workflow files agrees with the loader."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from llmkit.workflows import WorkflowDefinitionError, load_workflow, parse_workflow
from llmkit.workflows.json_schema import workflow_json_schema
from llmkit.workflows.serialize import workflow_to_dict
from tests.conftest import REPO

SCHEMA = workflow_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _documented_workflows() -> list[str]:
    text = (REPO / "docs" / "workflows.md").read_text(encoding="utf-8")
    return re.findall(r'load_workflow\("""\n(.*?)"""\)', text, re.S)


def _yaml(text: str) -> Any:
    """YAML as an editor reads it (YAML 1.2): PyYAML's 1.1 rules turn a bare `on:` key into
    True, which llmkit's loader maps back."""

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            return {("on" if k is True else k): fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(yaml.safe_load(text))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    published = json.loads((REPO / "docs" / "workflow.schema.json").read_text(encoding="utf-8"))
    assert published == SCHEMA


@pytest.mark.parametrize(
    "text",
    [
        (REPO / "examples" / "workflows" / "research.yaml").read_text(encoding="utf-8"),
        *_documented_workflows(),
    ],
)
def test_every_shipped_workflow_follows_the_schema(text: str) -> None:
    assert list(VALIDATOR.iter_errors(_yaml(text))) == []
    # The loader's own round trip (what a durable run stores) follows it too.
    assert list(VALIDATOR.iter_errors(workflow_to_dict(load_workflow(text)))) == []


def test_documented_workflows_are_found() -> None:
    assert len(_documented_workflows()) >= 4


BAD: list[tuple[str, dict[str, Any]]] = [
    ("missing value", {"name": "w", "steps": [{"id": "a", "kind": "transform"}]}),
    ("unknown kind", {"name": "w", "steps": [{"id": "a", "kind": "teleport"}]}),
    ("unknown field", {"name": "w", "steps": [{"id": "a", "kind": "delay", "seconds": 1, "x": 1}]}),
    ("wrong type", {"name": "w", "steps": [{"id": "a", "kind": "delay", "seconds": "soon"}]}),
    ("bad retry", {"name": "w", "steps": [{"id": "a", "kind": "delay", "seconds": 1,
                                           "retry": {"attempts": "many"}}]}),
    ("nested bad", {"name": "w", "steps": [{"id": "m", "kind": "map", "over": "input",
                                            "steps": [{"id": "b", "kind": "tool"}]}]}),
    ("no steps", {"name": "w"}),
    ("steps not a list", {"name": "w", "steps": {"id": "a"}}),
]  # fmt: skip


@pytest.mark.parametrize(("why", "data"), BAD, ids=[why for why, _ in BAD])
def test_schema_and_loader_both_refuse_bad_definitions(why: str, data: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(data)), f"the schema accepted: {why}"
    with pytest.raises(WorkflowDefinitionError):
        parse_workflow(data, source="test")


def test_the_cli_prints_the_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", "workflow", "schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(REPO),
    )
    assert json.loads(done.stdout) == SCHEMA
