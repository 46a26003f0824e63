"""Loading and validating definitions: YAML/JSON, the builder, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmkit.workflows import (
    LoopStep,
    Retry,
    Steps,
    ToolStep,
    WorkflowBuilder,
    WorkflowDefinitionError,
    WorkflowRunner,
    load_workflow,
)

YAML = """
name: research
input_schema: {type: object, required: [topic]}
output: "${ steps.report }"
steps:
  - id: fetch
    kind: tool
    tool: search
    input: {query: "${ input.topic }", limit: 3}
    timeout: 5
    retry: {attempts: 3, delay: 0.5}
  - id: check
    kind: conditional
    if: "length(steps.fetch) > `0`"
    then:
      - {id: each, kind: map, over: steps.fetch, item: page, concurrency: 2,
         steps: [{id: clean, kind: script, script: clean, input: {page: "${ page }"}}]}
    else:
      - {id: nothing, kind: transform, value: []}
  - id: repeat
    kind: loop
    for: 2
    steps: [{id: wait, kind: delay, seconds: 0.1, jitter: 0.05}]
  - id: report
    kind: agent
    agent: writer
    prompt: "Write about {{ input.topic }}"
    output: text
    continue_on_error: true
"""


def _built() -> WorkflowBuilder:
    return (
        WorkflowBuilder(
            "research",
            input_schema={"type": "object", "required": ["topic"]},
            output="${ steps.report }",
        )
        .tool(
            "fetch",
            "search",
            {"query": "${ input.topic }", "limit": 3},
            timeout=5.0,
            retry=Retry(attempts=3, delay=0.5),
        )
        .conditional(
            "check",
            "length(steps.fetch) > `0`",
            then=Steps().map(
                "each",
                "steps.fetch",
                Steps().script("clean", "clean", {"page": "${ page }"}),
                item="page",
                concurrency=2,
            ),
            else_=Steps().transform("nothing", []),
        )
        .loop("repeat", Steps().delay("wait", 0.1, jitter=0.05), for_=2)
        .agent(
            "report",
            "writer",
            "Write about {{ input.topic }}",
            output="text",
            continue_on_error=True,
        )
    )


def test_builder_equals_yaml() -> None:
    assert _built().build() == load_workflow(YAML)


def test_json_file_equals_yaml(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "research.json"
    path.write_text(json.dumps(yaml.safe_load(YAML)))
    assert load_workflow(path) == load_workflow(YAML)
    assert load_workflow(str(path)) == load_workflow(YAML)


def test_yaml_field_types_become_dataclasses() -> None:
    wf = load_workflow(YAML)
    fetch = wf.steps[0]
    assert isinstance(fetch, ToolStep)
    assert fetch.timeout == 5.0 and fetch.retry == Retry(attempts=3, delay=0.5)
    assert isinstance(wf.steps[2], LoopStep) and wf.steps[2].for_ == 2


def _fails(text: str, *parts: str) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as info:
        load_workflow(text)
    for part in parts:
        assert part in str(info.value)
    return info.value


def test_invalid_yaml() -> None:
    _fails("name: [unclosed\nsteps: -", "<string>", "invalid YAML")


def test_file_name_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: w\nsteps: [{id: a, kind: teleport}]\n")
    err = _fails(str(path), "bad.yaml", "'a'", "'kind'", "unknown step kind 'teleport'")
    assert err.step_id == "a" and err.field == "kind"


def test_missing_file() -> None:
    _fails("/nonexistent/flow.yaml", "cannot read")


def test_duplicate_id() -> None:
    _fails(
        "name: w\nsteps:\n  - {id: a, kind: transform, value: 1}\n"
        "  - {id: s, kind: sequential, steps: [{id: a, kind: transform, value: 2}]}",
        "step 'a'",
        "duplicate step id",
    )


def test_unknown_step_reference() -> None:
    _fails(
        "name: w\nsteps: [{id: a, kind: transform, value: '${ steps.ghost }'}]",
        "step 'a'",
        "field 'value'",
        "'ghost'",
    )


def test_reference_to_a_later_step() -> None:
    _fails(
        "name: w\nsteps:\n  - {id: a, kind: script, script: s, input: {x: '{{ steps.b }}'}}\n"
        "  - {id: b, kind: transform, value: 1}",
        "step 'a'",
        "field 'input'",
        "has not run yet",
    )


def test_reference_to_a_sibling_branch() -> None:
    _fails(
        "name: w\nsteps:\n  - id: p\n    kind: parallel\n    branches:\n"
        "      - {id: a, kind: transform, value: 1}\n"
        "      - {id: b, kind: transform, value: '${ steps.a }'}",
        "step 'b'",
    )


def test_missing_required_field() -> None:
    _fails("name: w\nsteps: [{id: a, kind: tool}]", "step 'a'", "field 'tool'", "missing")


def test_wrong_type() -> None:
    _fails(
        "name: w\nsteps: [{id: a, kind: delay, seconds: soon}]",
        "field 'seconds'",
        "expected float, got str",
    )
    _fails("name: w\nsteps: [{id: a, kind: delay, seconds: 1, bogus: 2}]", "field 'bogus'")
    _fails("name: w\nsteps: {id: a}", "field 'steps'", "list of steps")


def test_bad_expression_syntax() -> None:
    _fails(
        "name: w\nsteps: [{id: a, kind: conditional, if: 'input.[', then: []}]",
        "field 'if'",
        "bad expression",
    )
    _fails(
        "name: w\nsteps: [{id: a, kind: agent, agent: x, prompt: '{{ oops'}]",
        "field 'prompt'",
        "bad template",
    )


def test_loop_needs_one_mode() -> None:
    _fails("name: w\nsteps: [{id: l, kind: loop, steps: []}]", "exactly one of")


def test_sub_workflow_unknown_and_cycle() -> None:
    a = load_workflow("name: a\nsteps: [{id: call_b, kind: workflow, workflow: b}]")
    b = load_workflow("name: b\nsteps: [{id: call_a, kind: workflow, workflow: a}]")
    with pytest.raises(WorkflowDefinitionError, match="unknown sub-workflow 'b'"):
        load_workflow("name: a\nsteps: [{id: call_b, kind: workflow, workflow: b}]", workflows={})
    with pytest.raises(WorkflowDefinitionError, match=r"cycle a -> b -> a|cycle b -> a -> b"):
        WorkflowRunner(workflows={"a": a, "b": b})
    with pytest.raises(WorkflowDefinitionError, match="cycle"):
        load_workflow("name: a\nsteps: [{id: me, kind: workflow, workflow: a}]", workflows={})


def test_builder_validates_too() -> None:
    with pytest.raises(WorkflowDefinitionError, match="duplicate"):
        WorkflowBuilder("w").transform("a", 1).transform("a", 2).build()
