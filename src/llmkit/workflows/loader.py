"""`load_workflow`: a workflow from a YAML or JSON file or text, parsed and validated."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .definition import Workflow
from .errors import WorkflowDefinitionError
from .parse import parse_workflow
from .validate import validate_workflow

__all__ = ["load_workflow"]

_SUFFIXES = (".yaml", ".yml", ".json")


def load_workflow(
    path_or_text: str | Path, *, workflows: Mapping[str, Workflow] | None = None
) -> Workflow:
    """Load and validate a workflow.

    Args:
        path_or_text: A `Path`, a file name ending in .yaml/.yml/.json, or the text itself
            (JSON is read as the YAML subset it is).
        workflows: Sub-workflows it may call; when given, unknown names and cycles are
            definition errors now instead of when a runner gets the workflow.

    Raises:
        WorkflowDefinitionError: Naming the file, the step id and the field.
    """
    text, source = _read(path_or_text)
    import yaml

    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorkflowDefinitionError(f"invalid YAML/JSON: {exc}", source=source) from exc
    workflow = parse_workflow(data, source=source)
    return validate_workflow(workflow, source=source, workflows=workflows)


def _read(path_or_text: str | Path) -> tuple[str, str]:
    is_path = isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.strip().endswith(_SUFFIXES)
    )
    if not is_path:
        return str(path_or_text), "<string>"
    path = Path(path_or_text)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise WorkflowDefinitionError(f"cannot read: {exc}", source=str(path)) from exc
