"""Structured output: tool, native and prompted strategies, validation errors and retries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from llmkit import ConfigError, Message, ToolCallPart
from llmkit.agents import Agent, LimitExceeded
from llmkit.agents.output import extract_json
from llmkit.testing import ScriptedModel, ToolCall


class City(BaseModel):
    name: str
    population: int


@dataclass
class Point:
    x: float
    y: float


class Pair(TypedDict):
    left: str
    right: str


async def test_tool_strategy_returns_a_typed_value() -> None:
    model = ScriptedModel([ToolCall(name="final_result", args={"name": "Oslo", "population": 7})])
    result = await Agent(model, output_type=City).run("A city?")
    assert result.output == City(name="Oslo", population=7)
    request = model.requests[0]
    assert [t.name for t in request.tools] == ["final_result"]
    assert request.tools[0].parameters["required"] == ["name", "population"]
    assert request.settings is not None and request.settings.tool_choice == "required"
    # Every call of the final reply is answered, so the history can be sent again.
    assert result.messages[-1].role == "tool"


async def test_invalid_output_goes_back_with_the_errors() -> None:
    model = ScriptedModel(
        [
            ToolCall(name="final_result", args={"name": "Oslo", "population": "many"}),
            ToolCall(name="final_result", args={"name": "Oslo", "population": 700000}),
        ]
    )
    result = await Agent(model, output_type=City).run("A city?")
    assert result.output.population == 700000
    error = model.requests[1].messages[-1].parts[0]
    assert error.is_error and "population" in error.content  # type: ignore[union-attr]


async def test_output_retries_run_out() -> None:
    bad = ToolCall(name="final_result", args={"name": 3})
    agent = Agent(ScriptedModel([bad, bad, bad]), output_type=City, output_retries=2)
    with pytest.raises(LimitExceeded) as info:
        await agent.run("A city?")
    assert info.value.limit == "output_retries"
    assert len(info.value.messages) > 3


async def test_text_reply_when_the_output_tool_was_required() -> None:
    model = ScriptedModel(["Oslo, of course", ToolCall(name="final_result", args={"x": 1, "y": 2})])
    result = await Agent(model, output_type=Point).run("A point?")
    assert result.output == Point(x=1, y=2)
    assert "final_result" in model.requests[1].messages[-1].text


async def test_primitives_are_wrapped_in_an_object() -> None:
    model = ScriptedModel([ToolCall(name="final_result", args={"response": [1, 2, 3]})])
    result = await Agent(model, output_type=list[int]).run("numbers")
    assert result.output == [1, 2, 3]
    assert model.requests[0].tools[0].parameters["required"] == ["response"]


async def test_output_tool_alongside_other_tools() -> None:
    from llmkit.tools import tool

    ran: list[str] = []

    @tool
    def lookup(name: str) -> int:
        """Population of a city."""
        ran.append(name)
        return 700000

    model = ScriptedModel(
        [
            ToolCall(name="lookup", args={"name": "Oslo"}),
            [
                ToolCall(name="final_result", args={"name": "Oslo", "population": 700000}),
                ToolCall(name="lookup", args={"name": "never"}),
            ],
        ]
    )
    result = await Agent(model, tools=[lookup], output_type=City).run("Oslo?")
    assert result.output.population == 700000
    assert ran == ["Oslo"]  # calls in the final reply are not run


async def test_native_strategy_uses_the_provider_json_schema() -> None:
    model = ScriptedModel(['{"left": "a"}', '{"left": "a", "right": "b"}'])
    result = await Agent(model, output_type=Pair, output_strategy="native").run("pair")
    assert result.output == {"left": "a", "right": "b"}
    fmt = model.requests[0].settings.response_format  # type: ignore[union-attr]
    assert (
        fmt is not None and fmt.schema is not None and fmt.schema["required"] == ["left", "right"]
    )
    assert "right" in model.requests[1].messages[-1].text  # the error named the missing field


async def test_prompted_strategy_finds_json_in_prose() -> None:
    reply = 'Sure! Here it is:\n```json\n{"name": "Lima", "population": 10}\n```\nAnything else?'
    model = ScriptedModel([reply])
    result = await Agent(
        model, output_type=City, output_strategy="prompted", instructions="Be exact."
    ).run("city")
    assert result.output == City(name="Lima", population=10)
    system = model.requests[0].messages[0].text
    assert system.startswith("Be exact.") and '"population"' in system


async def test_json_schema_output_type() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    model = ScriptedModel(
        [
            ToolCall(name="final_result", args={"ok": "yes"}),
            ToolCall(name="final_result", args={"ok": True}),
        ]
    )
    result = await Agent(model, output_type=schema).run("ok?")
    assert result.output == {"ok": True}
    assert "ok" in model.requests[1].messages[-1].parts[0].content  # type: ignore[union-attr]


async def test_truncated_output_arguments_are_retried() -> None:
    broken = Message.assistant(
        [ToolCallPart.from_raw(id="c1", name="final_result", raw_arguments='{"name": "Os')]
    )
    model = ScriptedModel(
        [broken, ToolCall(name="final_result", args={"name": "Oslo", "population": 1})]
    )
    result = await Agent(model, output_type=City).run("city")
    assert result.output.name == "Oslo"


def test_bad_output_configuration() -> None:
    with pytest.raises(ConfigError, match="strategy"):
        Agent(ScriptedModel([]), output_type=City, output_strategy="magic")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not a valid JSON schema"):
        Agent(ScriptedModel([]), output_type={"type": "no-such-type"})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Result: {"a": {"b": "}"}} trailing', {"a": {"b": "}"}}),
        ("```\n[1, 2]\n```", [1, 2]),
        ("42", 42),
    ],
)
def test_extract_json(text: str, value: object) -> None:
    assert extract_json(text) == value


def test_extract_json_without_json_names_the_problem() -> None:
    from llmkit.agents.output import OutputInvalid

    with pytest.raises(OutputInvalid, match="no valid JSON"):
        extract_json("I cannot answer that")
