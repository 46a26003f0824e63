"""The OpenAI-format model against a real llama.cpp server running SmolLM2 on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from llmkit import (
    FinishEvent,
    Message,
    ModelSettings,
    OpenAIChatModel,
    ResponseFormat,
    TextDelta,
    ToolDefinition,
    get_model,
)
from tests.llama_server import running_llama_server

pytestmark = pytest.mark.slow

CITY = ToolDefinition(
    name="get_weather",
    description="Get the weather for a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_llama_server() as url:
        yield url


@pytest.fixture
async def model(base_url: str) -> AsyncIterator[OpenAIChatModel]:
    m = get_model("llamacpp:smollm2", base_url=base_url)
    assert isinstance(m, OpenAIChatModel)
    yield m
    await m.aclose()


async def test_chat(model: OpenAIChatModel) -> None:
    reply = await model.request(
        [Message.system("You are helpful."), Message.user("Say hello.")],
        settings=ModelSettings(max_tokens=24, temperature=0),
    )
    assert reply.text.strip()
    assert reply.finish_reason in ("stop", "length")
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


async def test_stream(model: OpenAIChatModel) -> None:
    deltas: list[str] = []
    async with model.stream(
        [Message.user("Count from one to five.")],
        settings=ModelSettings(max_tokens=24, temperature=0),
    ) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                deltas.append(event.text)
            last = event
    assert isinstance(last, FinishEvent)
    assert len(deltas) > 2
    assert "".join(deltas) == stream.response.text


async def test_forced_tool_call(model: OpenAIChatModel) -> None:
    reply = await model.request(
        [Message.user("What is the weather in Paris?")],
        tools=[CITY],
        settings=ModelSettings(tool_choice="get_weather", max_tokens=64, temperature=0),
    )
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name == "get_weather"
    assert call.valid and isinstance(call.arguments, dict) and "city" in call.arguments


async def test_json_object(model: OpenAIChatModel) -> None:
    reply = await model.request(
        [Message.user("Give a JSON object with a key 'name' holding a first name.")],
        settings=ModelSettings(
            response_format=ResponseFormat(type="json_object"), max_tokens=48, temperature=0
        ),
    )
    assert isinstance(json.loads(reply.text), dict)


async def test_history_with_tool_turn_is_accepted(model: OpenAIChatModel) -> None:
    # The server rejects an assistant message whose content is null; llmkit sends "".
    from llmkit import ToolCallPart, ToolResultPart

    history = [
        Message.user("Weather in Oslo?"),
        Message.assistant([ToolCallPart(id="c1", name="get_weather", arguments={"city": "Oslo"})]),
        Message.tool_results(
            [ToolResultPart(tool_call_id="c1", name="get_weather", content="-3C")]
        ),
    ]
    reply = await model.request(
        history, tools=[CITY], settings=ModelSettings(max_tokens=16, temperature=0)
    )
    assert reply.finish_reason in ("stop", "length", "tool_calls")


def test_cli_ask_through_openai_base_url(base_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMKIT_"))}
    env["OPENAI_BASE_URL"] = base_url
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", "ask", "-m", "openai:smollm2", "--max-tokens", "16", "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
