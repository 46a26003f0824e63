"""FunctionTool and @tool: the schema a model sees, argument checks, how the function runs."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import threading
import time
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from llmkit.errors import ConfigError
from llmkit.models.request import ToolDefinition
from llmkit.tools import (
    FunctionTool,
    ModelRetry,
    RunContext,
    Tool,
    ToolError,
    serialize_result,
    tool,
)
from llmkit.tools import schema as schema_module

# Types a tool's annotations name live at module level: with `from __future__ import
# annotations` they are resolved from the module's globals.


class Unit(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class Point(BaseModel):
    x: int
    y: int


@dataclasses.dataclass
class Box:
    width: float


class Options(TypedDict):
    fast: bool


class Opaque:
    """No pydantic schema: cannot be a tool argument."""


def ctx() -> RunContext[None]:
    return RunContext(deps=None, run_id="run-1")


def forecast(
    city: str,
    days: int = 3,
    precise: bool = False,
    scale: float | None = None,
    mode: Literal["short", "long"] = "short",
    unit: Unit = Unit.CELSIUS,
    hours: list[int] | None = None,
    labels: dict[str, str] | None = None,
    where: Point | None = None,
    box: Box | None = None,
    options: Options | None = None,
) -> str:
    """Get the weather forecast for a city.

    Uses the national weather service;
    results are cached for an hour.

    Args:
        city: The city's name,
            e.g. "Paris".
        days (int): How many days ahead.
        precise: Whether to include decimals.

    Returns:
        The forecast as text.
    """
    return f"{city}:{days}"


def test_schema_from_signature_and_docstring() -> None:
    definition = FunctionTool(forecast).definition
    assert definition.name == "forecast"
    assert definition.description == (
        "Get the weather forecast for a city.\n\n"
        "Uses the national weather service; results are cached for an hour."
    )

    def nullable_ref(name: str) -> dict[str, Any]:
        return {"anyOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}

    assert definition.parameters == {
        "type": "object",
        "additionalProperties": False,
        "required": ["city"],
        "properties": {
            "city": {"type": "string", "description": 'The city\'s name, e.g. "Paris".'},
            "days": {"type": "integer", "default": 3, "description": "How many days ahead."},
            "precise": {
                "type": "boolean",
                "default": False,
                "description": "Whether to include decimals.",
            },
            "scale": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None},
            "mode": {"type": "string", "enum": ["short", "long"], "default": "short"},
            "unit": {"$ref": "#/$defs/Unit", "default": "c"},
            "hours": {
                "anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}],
                "default": None,
            },
            "labels": {
                "anyOf": [
                    {"type": "object", "additionalProperties": {"type": "string"}},
                    {"type": "null"},
                ],
                "default": None,
            },
            "where": {**nullable_ref("Point"), "default": None},
            "box": {**nullable_ref("Box"), "default": None},
            "options": {**nullable_ref("Options"), "default": None},
        },
        "$defs": {
            "Unit": {"type": "string", "enum": ["c", "f"], "title": "Unit"},
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "required": ["x", "y"],
                "title": "Point",
            },
            # Nested dataclasses and TypedDicts take the tool's "no extra keys" rule.
            "Box": {
                "type": "object",
                "properties": {"width": {"type": "number"}},
                "required": ["width"],
                "additionalProperties": False,
                "title": "Box",
            },
            "Options": {
                "type": "object",
                "properties": {"fast": {"type": "boolean"}},
                "required": ["fast"],
                "additionalProperties": False,
                "title": "Options",
            },
        },
    }


def test_options_override_name_and_description() -> None:
    made = FunctionTool(forecast, name="weather", description="Weather.", strict=True)
    assert (made.name, made.definition.name) == ("weather", "weather")
    assert made.definition.description == "Weather."
    assert made.definition.strict is True


def test_no_arguments_and_no_docstring() -> None:
    def ping() -> str:
        return "pong"

    assert FunctionTool(ping).definition == ToolDefinition(
        name="ping",
        description="",
        parameters={"type": "object", "properties": {}, "additionalProperties": False},
    )


def test_definition_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = schema_module.build_arguments_schema

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr("llmkit.tools.function.build_arguments_schema", counting)
    made = FunctionTool(forecast)
    assert made.definition is made.definition
    asyncio.run(made.call(ctx(), {"city": "Oslo"}))
    assert made.definition is made.definition
    assert calls == 1


async def test_run_context_is_injected_and_not_in_the_schema() -> None:
    seen: list[RunContext[str]] = []

    @tool
    def whoami(ctx: RunContext[str], greeting: str) -> str:
        seen.append(ctx)
        return f"{greeting}, {ctx.deps}"

    assert whoami.takes_context
    assert list(whoami.definition.parameters["properties"]) == ["greeting"]
    assert whoami.definition.parameters["required"] == ["greeting"]
    run = RunContext(deps="alice", run_id="r")
    assert await whoami.call(run, {"greeting": "hi"}) == "hi, alice"
    assert seen == [run]
    # The model cannot pass the context itself.
    with pytest.raises(ModelRetry, match="ctx: unexpected argument"):
        await whoami.call(run, {"greeting": "hi", "ctx": {}})


def test_run_context_must_come_first() -> None:
    def late(x: int, ctx: RunContext[None]) -> None: ...

    with pytest.raises(ConfigError, match="must be the first parameter"):
        FunctionTool(late)


async def test_async_tool_runs_on_the_loop_and_sync_tool_in_a_thread() -> None:
    loop_thread = threading.get_ident()

    @tool
    async def async_where() -> int:
        return threading.get_ident()

    @tool
    def sync_where() -> int:
        return threading.get_ident()

    assert await async_where.call(ctx(), {}) == loop_thread
    assert await sync_where.call(ctx(), {}) != loop_thread


async def test_validated_values_reach_the_function_as_objects() -> None:
    received: dict[str, Any] = {}

    @tool
    def take(where: Point, box: Box, unit: Unit, count: int, /) -> str:
        received.update(where=where, box=box, unit=unit, count=count)
        return "ok"

    await take.call(
        ctx(), {"where": {"x": 1, "y": "2"}, "box": {"width": 3}, "unit": "f", "count": "4"}
    )
    assert received == {
        "where": Point(x=1, y=2),
        "box": Box(3.0),
        "unit": Unit.FAHRENHEIT,
        "count": 4,
    }


async def test_defaults_fill_missing_optional_arguments() -> None:
    assert await FunctionTool(forecast).call(ctx(), {"city": "Rome"}) == "Rome:3"


async def test_bad_arguments_raise_model_retry_naming_each_field() -> None:
    made = FunctionTool(forecast)
    with pytest.raises(ModelRetry) as info:
        await made.call(
            ctx(), {"days": "soon", "where": {"x": 1}, "hours": [1, "two"], "color": "red"}
        )
    message = info.value.message
    assert message.startswith("Invalid arguments for tool 'forecast':")
    assert "- city: missing required argument" in message
    assert "- days: Input should be a valid integer" in message and "(got 'soon')" in message
    assert "- where.y: missing required argument" in message
    assert "- hours[1]: Input should be a valid integer" in message
    # Extra keys are refused, and the message says which arguments there are.
    assert "- color: unexpected argument (this tool takes: city, days, precise," in message


async def test_arguments_that_are_not_an_object_raise_model_retry() -> None:
    with pytest.raises(ModelRetry, match="must be a JSON object"):
        await FunctionTool(forecast).call(ctx(), ["Paris"])  # type: ignore[arg-type]


async def test_timeout_on_an_async_tool() -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        await asyncio.sleep(10)
        return "done"

    started = time.monotonic()
    with pytest.raises(ToolError, match=r"tool 'slow' timed out after 0\.05 s"):
        await slow.call(ctx(), {})
    assert time.monotonic() - started < 2


async def test_timeout_on_a_sync_tool_returns_on_time_while_its_thread_runs_on() -> None:
    # A thread cannot be stopped: the call gives up on time, the function finishes later.
    release = threading.Event()
    finished = threading.Event()

    @tool(timeout=0.05)
    def stuck() -> str:
        release.wait(5)
        finished.set()
        return "late"

    started = time.monotonic()
    with pytest.raises(ToolError, match="timed out"):
        await stuck.call(ctx(), {})
    assert time.monotonic() - started < 2
    assert not finished.is_set()
    release.set()
    assert await asyncio.to_thread(finished.wait, 5)


async def test_a_timeout_error_the_tool_raises_is_not_reported_as_ours() -> None:
    @tool(timeout=5)
    async def flaky() -> None:
        raise TimeoutError("upstream timed out")

    with pytest.raises(TimeoutError, match="upstream"):
        await flaky.call(ctx(), {})


async def test_model_retry_raised_by_the_tool_propagates() -> None:
    @tool
    def picky(n: int) -> int:
        if n < 0:
            raise ModelRetry("n must be positive")
        return n

    with pytest.raises(ModelRetry, match="n must be positive"):
        await picky.call(ctx(), {"n": -1})


def test_decorator_bare_and_with_options() -> None:
    @tool
    def bare(a: int) -> int:
        """Bare."""
        return a

    @tool(
        name="opts",
        description="With options.",
        timeout=2.5,
        capabilities=["net", "fs.read"],
        requires_approval=True,
        category="web",
        tags=["a", "b"],
        max_retries=3,
    )
    def with_options(a: int) -> int:
        return a

    assert isinstance(bare, FunctionTool) and isinstance(bare, Tool)
    assert (bare.name, bare.description, bare.timeout, bare.capabilities) == (
        "bare",
        "Bare.",
        None,
        frozenset(),
    )
    assert with_options.name == "opts"
    assert with_options.description == "With options."
    assert with_options.timeout == 2.5
    assert with_options.capabilities == frozenset({"net", "fs.read"})
    assert with_options.requires_approval is True
    assert with_options.category == "web"
    assert with_options.tags == frozenset({"a", "b"})
    assert with_options.max_retries == 3


async def test_decorated_function_is_still_directly_callable() -> None:
    @tool
    def add(a: int, b: int = 1) -> int:
        return a + b

    @tool
    async def double(ctx: RunContext[None], x: int) -> int:
        return 2 * x

    assert add(2, b=3) == 5
    assert await double(ctx(), 4) == 8
    assert add.__wrapped__ is add.function


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"capabilities": ["net", "gpu"]}, "unknown capability 'gpu'"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"max_retries": -1}, "max_retries must be >= 0"),
        ({"name": "has space"}, "invalid tool name 'has space'"),
    ],
)
def test_invalid_options_raise_config_error(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        FunctionTool(forecast, **options)


def test_signatures_that_cannot_become_a_schema_raise_config_error() -> None:
    def star(*values: int) -> None: ...

    with pytest.raises(ConfigError, match=r"\*values"):
        FunctionTool(star)
    with pytest.raises(ConfigError, match="invalid tool name '<lambda>'"):
        FunctionTool(lambda: None)

    def opaque(value: Opaque) -> None: ...

    with pytest.raises(ConfigError, match="tool 'opaque': cannot build the argument schema"):
        FunctionTool(opaque)

    class Local(BaseModel):
        x: int

    def local(value: Local) -> None: ...

    with pytest.raises(ConfigError, match=r"cannot resolve a type hint.*module"):
        FunctionTool(local)


@dataclasses.dataclass
class Reading:
    city: str
    celsius: float


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain text", "plain text"),
        (Point(x=1, y=2), '{"x":1,"y":2}'),
        (Reading("Oslo", -3.5), '{"city":"Oslo","celsius":-3.5}'),
        ({"a": [1, 2.5, None, True]}, '{"a":[1,2.5,null,true]}'),
        ([Point(x=0, y=0)], '[{"x":0,"y":0}]'),
        (42, "42"),
        (None, "null"),
        ({"unit": Unit.CELSIUS, "obj": object}, '{"unit":"c","obj":"<class \'object\'>"}'),
    ],
)
def test_serialize_result(value: Any, text: str) -> None:
    assert serialize_result(value) == text


def test_docstring_sections_other_than_args_stay_out_of_the_descriptions() -> None:
    def documented(path: str, mode: str = "r") -> str:
        """Open a file.

        Arguments:
            path (str): Where the file is.
            mode: How to open it:
                "r" or "w".

        Raises:
            OSError: Never mentioned to the model.

        Example:
            documented("a.txt")
        """
        return path

    made = FunctionTool(documented)
    assert made.description == "Open a file."
    properties = made.definition.parameters["properties"]
    assert properties["path"]["description"] == "Where the file is."
    assert properties["mode"]["description"] == 'How to open it: "r" or "w".'
