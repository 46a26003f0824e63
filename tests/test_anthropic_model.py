"""The Anthropic Messages API wire format over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from llmkit import (
    AnthropicModel,
    AuthenticationError,
    FinishEvent,
    ImagePart,
    InvalidResponseError,
    Message,
    ModelSettings,
    RateLimitError,
    ResponseFormat,
    ServerError,
    StreamInterrupted,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolDefinition,
    ToolResultPart,
    UsageEvent,
)
from llmkit.errors import ConfigError
from tests.provider_fixtures import assert_interrupted_after, model_at, serve
from tests.servers import (
    JsonReply,
    LoopbackServer,
    RawReply,
    ResetConnection,
    StreamReply,
    anthropic_default_handler,
    anthropic_wire,
    sse,
)

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
PNG = ImagePart.from_bytes(b"\x89PNG fake", "image/png")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from serve(anthropic_default_handler)


@pytest.fixture
async def model(server: LoopbackServer) -> AsyncIterator[AnthropicModel]:
    m = model_at("anthropic:claude-test", server)
    assert isinstance(m, AnthropicModel)
    yield m
    await m.aclose()


def body_of(model: AnthropicModel, settings: ModelSettings, tools: list[ToolDefinition]) -> Any:
    return model.build_body([Message.user("x")], tools, settings, stream=False)


async def test_text_reply(model: AnthropicModel, server: LoopbackServer) -> None:
    reply = await model.request([Message.system("be kind"), Message.user("hello there")])
    assert reply.text == "echo: hello there"
    assert (reply.finish_reason, reply.raw_finish_reason) == ("stop", "end_turn")
    assert reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0
    assert (reply.provider, reply.response_id, reply.model_name) == (
        "anthropic",
        "msg_test",
        "claude-test",
    )
    sent = server.last_request
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "test-key"
    assert "anthropic-version" in sent.headers
    assert sent.json == {
        "model": "claude-test",
        "max_tokens": 4096,
        "system": "be kind",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}],
    }


async def test_request_wire_shape(model: AnthropicModel, server: LoopbackServer) -> None:
    history = [
        Message.system("rule one"),
        Message.user([TextPart(text="look"), PNG, ImagePart(url="https://x.test/a.jpg")]),
        Message.user("and this"),
        Message.assistant(
            [
                TextPart(text="checking"),
                ToolCallPart(id="c1", name="get_weather", arguments={"city": "Oslo"}),
                ToolCallPart.from_raw(id="c2", name="get_weather", raw_arguments="{oops"),
            ]
        ),
        Message.tool_results(
            [
                ToolResultPart(tool_call_id="c1", name="get_weather", content="-3C"),
                ToolResultPart(tool_call_id="c2", name="get_weather", content="bad", is_error=True),
            ]
        ),
        Message.user("thanks"),
        Message.system("rule two"),
    ]
    settings = ModelSettings(
        max_tokens=50,
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        seed=7,
        tool_choice="get_weather",
        parallel_tool_calls=False,
        extra_body={"metadata": {"user_id": "u1"}},
    )
    await model.request(history, tools=[WEATHER], settings=settings)
    body = server.last_request.json
    assert body["system"] == "rule one\n\nrule two"
    png = PNG.url.partition(",")[2]
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": png},
                },
                {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
                {"type": "text", "text": "and this"},  # consecutive user turns merged
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "checking"},
                {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "c2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "-3C", "is_error": False},
                {"type": "tool_result", "tool_use_id": "c2", "content": "bad", "is_error": True},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": WEATHER.parameters,
        }
    ]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
        "disable_parallel_tool_use": True,
    }
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["stop_sequences"]) == (
        50,
        0.2,
        0.9,
        ["END"],
    )
    assert "seed" not in body  # no Anthropic equivalent
    assert body["metadata"] == {"user_id": "u1"}


def test_tool_results_come_first_in_a_user_turn(model: AnthropicModel) -> None:
    result = ToolResultPart(tool_call_id="c1", name="t", content="ok")
    messages = [Message.user("note"), Message.tool_results([result])]
    turns = model.build_body(messages, [], None, stream=False)["messages"]
    assert [block["type"] for block in turns[0]["content"]] == ["tool_result", "text"]


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", False, {"type": "none"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_tool_choice(
    model: AnthropicModel, choice: str | None, parallel: bool | None, expected: object
) -> None:
    settings = ModelSettings(tool_choice=choice, parallel_tool_calls=parallel)
    assert body_of(model, settings, [WEATHER]).get("tool_choice") == expected
    assert "tool_choice" not in body_of(model, settings, [])  # no tools, no choice


async def test_default_max_tokens_option(server: LoopbackServer) -> None:
    model = model_at("anthropic:claude-test", server, default_max_tokens=123)
    await model.request([Message.user("x")])
    assert server.last_request.json["max_tokens"] == 123
    await model.aclose()


async def test_tool_call_reply(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(
        JsonReply(
            200,
            anthropic_wire.message(
                "Let me check.", tool_uses=[("toolu_1", "get_weather", {"city": "Oslo"})]
            ),
        )
    )
    reply = await model.request([Message.user("weather?")], tools=[WEATHER])
    assert reply.finish_reason == "tool_calls"
    assert reply.text == "Let me check."
    assert reply.tool_calls == [
        ToolCallPart(id="toolu_1", name="get_weather", arguments={"city": "Oslo"})
    ]


async def test_thinking_blocks_and_cache_usage(
    model: AnthropicModel, server: LoopbackServer
) -> None:
    reply = anthropic_wire.message("answer")
    reply["content"].insert(0, {"type": "thinking", "thinking": "hmm", "signature": "s"})
    reply["usage"].update(input_tokens=3, cache_read_input_tokens=40)
    server.enqueue(JsonReply(200, reply))
    response = await model.request([Message.user("x")])
    assert response.text == "answer"
    assert (response.usage.input_tokens, response.usage.cache_read_tokens) == (43, 40)


async def test_unknown_stop_reason_is_other(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(JsonReply(200, anthropic_wire.message("hi", stop_reason="pause_turn")))
    reply = await model.request([Message.user("x")])
    assert (reply.finish_reason, reply.raw_finish_reason) == ("other", "pause_turn")


async def test_refusal_and_max_tokens(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(
        JsonReply(200, anthropic_wire.message("no", stop_reason="refusal")),
        JsonReply(200, anthropic_wire.message("cut", stop_reason="max_tokens")),
    )
    assert (await model.request([Message.user("x")])).finish_reason == "content_filter"
    assert (await model.request([Message.user("x")])).finish_reason == "length"


async def test_json_schema_is_a_forced_tool(model: AnthropicModel, server: LoopbackServer) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    settings = ModelSettings(response_format=ResponseFormat(schema=schema, name="answer"))
    server.enqueue(
        JsonReply(200, anthropic_wire.message(tool_uses=[("toolu_1", "answer", {"n": 3})]))
    )
    reply = await model.request([Message.user("x")], settings=settings)
    body = server.last_request.json
    assert body["tools"][0]["name"] == "answer"
    assert body["tools"][0]["input_schema"] == schema
    assert body["tool_choice"] == {"type": "tool", "name": "answer"}
    assert json.loads(reply.text) == {"n": 3}
    assert (reply.finish_reason, reply.tool_calls) == ("stop", [])


async def test_json_schema_that_is_not_an_object(
    model: AnthropicModel, server: LoopbackServer
) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    settings = ModelSettings(response_format=ResponseFormat(schema=schema))
    server.enqueue(
        JsonReply(
            200, anthropic_wire.message(tool_uses=[("toolu_1", "output", {"value": ["a", "b"]})])
        )
    )
    reply = await model.request([Message.user("x")], tools=[WEATHER], settings=settings)
    tools = server.last_request.json["tools"]
    assert [t["name"] for t in tools] == ["get_weather", "output"]
    assert tools[1]["input_schema"]["properties"]["value"] == schema
    assert server.last_request.json["tool_choice"] == {"type": "any"}  # tool or answer
    assert json.loads(reply.text) == ["a", "b"]


def test_json_object_is_a_system_instruction(model: AnthropicModel) -> None:
    settings = ModelSettings(response_format=ResponseFormat(type="json_object"))
    body = model.build_body(
        [Message.system("be brief"), Message.user("x")], [], settings, stream=False
    )
    assert body["system"].startswith("be brief\n\n")
    assert "JSON object" in body["system"]
    assert "tools" not in body


async def test_stream_text_and_usage(model: AnthropicModel, server: LoopbackServer) -> None:
    events = []
    async with model.stream([Message.user("stream me please")]) as stream:
        async for event in stream:
            events.append(event)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    assert "".join(deltas) == "echo: stream me please" == stream.response.text
    assert isinstance(events[-1], FinishEvent)
    assert isinstance(events[0], UsageEvent)
    assert events[0].usage.input_tokens > 0
    response = stream.response
    assert (response.usage.output_tokens, response.finish_reason) == (len(deltas), "stop")
    assert response.response_id == "msg_test"
    assert server.last_request.json["stream"] is True


async def test_stream_tool_call_fragments(model: AnthropicModel, server: LoopbackServer) -> None:
    args = {"city": "Reykjavik", "unit": "celsius"}
    server.enqueue(
        StreamReply(
            events=anthropic_wire.message_stream(
                ["Checking"],
                tool_uses=[("t1", "get_weather", args), ("t2", "get_weather", {})],
                arg_fragment_size=5,
            )
        )
    )
    stream = model.stream([Message.user("x")], tools=[WEATHER])
    events = [e async for e in stream]
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [(s.index, s.id, s.name) for s in starts] == [
        (1, "t1", "get_weather"),
        (2, "t2", "get_weather"),
    ]  # block indexes
    fragments = [e.arguments_delta for e in events if isinstance(e, ToolCallDelta) and e.index == 1]
    assert len(fragments) > 3
    assert "".join(fragments) == json.dumps(args)
    ends = [e.part for e in events if isinstance(e, ToolCallEnd)]
    assert [p.arguments for p in ends] == [args, {}]
    response = stream.response
    assert (response.finish_reason, response.text, response.tool_calls) == (
        "tool_calls",
        "Checking",
        ends,
    )


async def test_stream_structured_output_is_text(
    model: AnthropicModel, server: LoopbackServer
) -> None:
    settings = ModelSettings(response_format=ResponseFormat(schema={"type": "object"}))
    server.enqueue(
        StreamReply(
            events=anthropic_wire.message_stream(
                tool_uses=[("t1", "output", {"n": 3})], arg_fragment_size=3
            )
        )
    )
    response = await model.stream([Message.user("x")], settings=settings).get_response()
    assert json.loads(response.text) == {"n": 3}
    assert (response.finish_reason, response.tool_calls) == ("stop", [])


async def test_stream_reset_mid_way_is_interrupted(
    model: AnthropicModel, server: LoopbackServer
) -> None:
    events = anthropic_wire.message_stream(["Hello", " wor", "ld"])
    server.enqueue(StreamReply(events=[*events[:5], ResetConnection()]))
    stream = model.stream([Message.user("x")])
    await assert_interrupted_after(stream, server, "Hello wor")


async def test_stream_without_message_stop(model: AnthropicModel, server: LoopbackServer) -> None:
    events = anthropic_wire.message_stream(["partial"])
    server.enqueue(StreamReply(events=events[:-1]), StreamReply(events=events[:1]))
    with pytest.raises(StreamInterrupted) as info:
        await model.stream([Message.user("x")]).get_response()
    assert info.value.partial_text == "partial"
    with pytest.raises(InvalidResponseError, match="message_stop"):
        await model.stream([Message.user("x")]).get_response()


@pytest.mark.parametrize(
    ("kind", "error"), [("overloaded_error", ServerError), ("rate_limit_error", RateLimitError)]
)
async def test_stream_error_event_is_typed(
    model: AnthropicModel, server: LoopbackServer, kind: str, error: type[Exception]
) -> None:
    start = anthropic_wire.message_stream()[0]
    server.enqueue(StreamReply(events=[start, anthropic_wire.stream_error(kind, "busy")]))
    with pytest.raises(error, match="busy"):
        await model.stream([Message.user("x")]).get_response()


async def test_stream_error_after_content_is_interrupted(
    model: AnthropicModel, server: LoopbackServer
) -> None:
    events = anthropic_wire.message_stream(["Hel", "lo"])
    server.enqueue(StreamReply(events=[*events[:4], anthropic_wire.stream_error()]))
    with pytest.raises(StreamInterrupted) as info:
        await model.stream([Message.user("x")]).get_response()
    assert info.value.partial_text == "Hel"
    assert isinstance(info.value.__cause__, ServerError)


async def test_stream_non_json_event(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(StreamReply(events=[sse("{not json", event="message_start")]))
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.stream([Message.user("x")]).get_response()


async def test_401_is_authentication_error(server: LoopbackServer) -> None:
    model = model_at("anthropic:claude-test", server, api_key="bad-key")
    with pytest.raises(AuthenticationError) as info:
        await model.request([Message.user("x")])
    assert info.value.status_code == 401
    assert "invalid x-api-key" in str(info.value)
    assert len(server.requests) == 1
    await model.aclose()


async def test_429_then_success(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(JsonReply(429, anthropic_wire.error_body("rate_limit_error", "slow")))
    assert (await model.request([Message.user("ok")])).text == "echo: ok"
    assert len(server.requests) == 2


async def test_malformed_bodies(model: AnthropicModel, server: LoopbackServer) -> None:
    server.enqueue(
        RawReply(200, b"<html>proxy login</html>", content_type="text/html"),
        JsonReply(200, {"type": "message", "id": "m"}),
    )
    with pytest.raises(InvalidResponseError, match="not valid JSON") as info:
        await model.request([Message.user("x")])
    assert "proxy login" in (info.value.body or "")
    with pytest.raises(InvalidResponseError, match="content") as info:
        await model.request([Message.user("x")])
    assert '"id": "m"' in (info.value.body or "")


async def test_no_embeddings(model: AnthropicModel) -> None:
    with pytest.raises(ConfigError, match=r"AnthropicModel.*has no embeddings"):
        await model.embed(["x"])
