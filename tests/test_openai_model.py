"""The OpenAI chat-completions wire format over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from email.utils import formatdate

import pytest

from llmkit import (
    AuthenticationError,
    ContextLengthError,
    FinishEvent,
    ImagePart,
    InvalidResponseError,
    Message,
    ModelSettings,
    OpenAIChatModel,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ResponseFormat,
    RetryPolicy,
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
from tests.provider_fixtures import FAST_RETRY, assert_interrupted_after, model_at, serve
from tests.servers import (
    CloseWithoutResponse,
    JsonReply,
    LoopbackServer,
    RawReply,
    ResetConnection,
    StreamReply,
    TruncatedBody,
    openai_default_handler,
    openai_wire,
)
from tests.servers.replies import Delayed

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from serve(openai_default_handler)


@pytest.fixture
async def model(server: LoopbackServer) -> AsyncIterator[OpenAIChatModel]:
    m = model_at("openai-compatible:test-model", server)
    assert isinstance(m, OpenAIChatModel)
    yield m
    await m.aclose()


async def test_text_reply_with_usage(model: OpenAIChatModel, server: LoopbackServer) -> None:
    reply = await model.request([Message.system("be kind"), Message.user("hello there")])
    assert reply.text == "echo: hello there"
    assert reply.finish_reason == "stop"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.provider == "openai-compatible"
    sent = server.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.json["messages"] == [
        {"role": "system", "content": "be kind"},
        {"role": "user", "content": "hello there"},
    ]


async def test_request_wire_shape(model: OpenAIChatModel, server: LoopbackServer) -> None:
    history = [
        Message.user([TextPart(text="look"), ImagePart(url="https://x.test/a.png", detail="low")]),
        Message.assistant([ToolCallPart(id="c1", name="get_weather", arguments={"city": "Oslo"})]),
        Message.tool_results(
            [ToolResultPart(tool_call_id="c1", name="get_weather", content="-3C")]
        ),
    ]
    settings = ModelSettings(
        max_tokens=50,
        temperature=0.2,
        stop=["END"],
        seed=7,
        tool_choice="get_weather",
        parallel_tool_calls=False,
        response_format=ResponseFormat(schema={"type": "object"}, name="answer", strict=True),
        extra_body={"user": "u1"},
    )
    await model.request(history, tools=[WEATHER], settings=settings)
    body = server.last_request.json
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "low"}},
    ]
    # An assistant turn with only tool calls sends "" (llama.cpp rejects null content).
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    }
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "c1", "content": "-3C"}
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": WEATHER.parameters,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
    }
    assert (body["max_tokens"], body["temperature"], body["stop"], body["seed"]) == (
        50,
        0.2,
        ["END"],
        7,
    )
    assert body["user"] == "u1"


async def test_json_object_mode(model: OpenAIChatModel, server: LoopbackServer) -> None:
    await model.request(
        [Message.user("hi")],
        settings=ModelSettings(response_format=ResponseFormat(type="json_object")),
    )
    assert server.last_request.json["response_format"] == {"type": "json_object"}


async def test_parallel_tool_calls(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(
        JsonReply(
            200,
            openai_wire.chat_completion(
                tool_calls=[
                    ("a", "get_weather", '{"city": "Oslo"}'),
                    ("b", "get_weather", '{"city": "Lima"}'),
                ]
            ),
        )
    )
    reply = await model.request([Message.user("weather?")], tools=[WEATHER])
    assert reply.finish_reason == "tool_calls"
    assert [(c.id, c.arguments) for c in reply.tool_calls] == [
        ("a", {"city": "Oslo"}),
        ("b", {"city": "Lima"}),
    ]


async def test_invalid_tool_arguments_are_kept_raw(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    server.enqueue(
        JsonReply(
            200, openai_wire.chat_completion(tool_calls=[("a", "get_weather", '{"city": Oslo')])
        )
    )
    call = (await model.request([Message.user("x")], tools=[WEATHER])).tool_calls[0]
    assert not call.valid
    assert call.raw_arguments == '{"city": Oslo'


async def test_unknown_finish_reason_is_other(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    server.enqueue(
        JsonReply(
            200, openai_wire.chat_completion("hi", finish_reason="insufficient_system_resource")
        )
    )
    reply = await model.request([Message.user("x")])
    assert (reply.finish_reason, reply.raw_finish_reason) == (
        "other",
        "insufficient_system_resource",
    )


async def test_stream_text_and_usage(model: OpenAIChatModel, server: LoopbackServer) -> None:
    events = []
    async with model.stream([Message.user("stream me please")]) as stream:
        async for event in stream:
            events.append(event)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    assert "".join(deltas) == "echo: stream me please" == stream.response.text
    assert isinstance(events[-1], FinishEvent)
    usage = [e for e in events if isinstance(e, UsageEvent)]
    assert usage and usage[-1].usage.output_tokens == len(deltas)
    assert stream.response.usage.output_tokens == len(deltas)
    assert server.last_request.json["stream_options"] == {"include_usage": True}


async def test_stream_tool_call_fragments(model: OpenAIChatModel, server: LoopbackServer) -> None:
    args = json.dumps({"city": "Reykjavik", "unit": "celsius"})
    server.enqueue(
        StreamReply(
            events=openai_wire.chat_stream(
                tool_calls=[("t1", "get_weather", args), ("t2", "get_weather", '{"city": "Oslo"}')],
                arg_fragment_size=5,
            )
        )
    )
    stream = model.stream([Message.user("x")], tools=[WEATHER])
    events = [e async for e in stream]
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [(s.index, s.id, s.name) for s in starts] == [
        (0, "t1", "get_weather"),
        (1, "t2", "get_weather"),
    ]
    fragments = [e.arguments_delta for e in events if isinstance(e, ToolCallDelta) and e.index == 0]
    assert len(fragments) > 3 and "".join(fragments) == args
    ends = [e.part for e in events if isinstance(e, ToolCallEnd)]
    assert [p.arguments for p in ends] == [
        {"city": "Reykjavik", "unit": "celsius"},
        {"city": "Oslo"},
    ]
    assert stream.response.finish_reason == "tool_calls"
    assert stream.response.tool_calls == ends


async def test_stream_reset_mid_way_is_interrupted(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    chunks = openai_wire.chat_stream(["Hello", " wor", "ld"])
    server.enqueue(StreamReply(events=[*chunks[:3], ResetConnection()]))
    stream = model.stream([Message.user("x")])
    await assert_interrupted_after(stream, server, "Hello wor")


async def test_stream_that_ends_early_is_not_finished(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    chunks = openai_wire.chat_stream(["partial"])
    server.enqueue(StreamReply(events=chunks[:2]))  # role + one text chunk, then a clean end
    with pytest.raises(StreamInterrupted) as info:
        await model.stream([Message.user("x")]).get_response()
    assert info.value.partial_text == "partial"


async def test_stream_fails_before_content_are_retried(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    server.enqueue(JsonReply(503, openai_wire.error_body("overloaded")), ResetConnection())
    reply = await model.stream([Message.user("again")]).get_response()
    assert reply.text == "echo: again"
    assert len(server.requests) == 3


async def test_stream_error_chunk_is_typed(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(StreamReply(events=[b'data: {"error": {"message": "boom"}}\n\n']))
    with pytest.raises(ProviderError, match="boom"):
        await model.stream([Message.user("x")]).get_response()


async def test_stream_non_json_chunk(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(StreamReply(events=[b"data: {not json\n\n"]))
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.stream([Message.user("x")]).get_response()


async def test_401_is_authentication_error_without_retry(
    server: LoopbackServer,
) -> None:
    model = model_at("openai-compatible:m", server, api_key="bad-key")
    with pytest.raises(AuthenticationError) as info:
        await model.request([Message.user("x")])
    assert info.value.status_code == 401
    assert "Incorrect API key" in str(info.value)
    assert len(server.requests) == 1
    await model.aclose()


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "3"},
        {"retry-after-ms": "3000"},
        {"retry-after": "HTTP-DATE+60"},  # built when the test runs, not when collected
        {"retry-after": "inf"},
        {"retry-after": "1e12"},
    ],
)
async def test_429_waits_are_capped_and_then_reported(
    server: LoopbackServer, headers: dict[str, str]
) -> None:
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    model = model_at(
        "openai-compatible:m", server, retry=RetryPolicy(max_retries=2, max_retry_after=0.5)
    )
    assert isinstance(model, OpenAIChatModel)
    model.provider.transport._sleep = record_sleep
    if headers.get("retry-after") == "HTTP-DATE+60":
        headers = {"retry-after": formatdate(time.time() + 60, usegmt=True)}
    limited = JsonReply(429, openai_wire.error_body("slow down", "requests"), headers=headers)
    server.enqueue(limited, limited, limited)
    with pytest.raises(RateLimitError) as info:
        await model.request([Message.user("x")])
    assert sleeps == [0.5, 0.5]  # the server's wait, capped
    assert info.value.retry_after is not None and info.value.retry_after >= 2.0
    assert len(server.requests) == 3
    await model.aclose()


async def test_429_then_success(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(JsonReply(429, openai_wire.error_body("slow"), headers={"retry-after-ms": "1"}))
    assert (await model.request([Message.user("ok")])).text == "echo: ok"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (JsonReply(500, openai_wire.error_body("boom", "server_error")), ServerError),
        (RawReply(502, b"<html>bad gateway</html>", content_type="text/html"), ServerError),
        (
            JsonReply(
                400,
                openai_wire.error_body(
                    "This model's maximum context length is 8192 tokens",
                    code="context_length_exceeded",
                ),
            ),
            ContextLengthError,
        ),
        (JsonReply(404, openai_wire.error_body("no such model")), ProviderError),
    ],
)
async def test_error_statuses(
    model: OpenAIChatModel, server: LoopbackServer, reply: JsonReply, error: type[Exception]
) -> None:
    server.enqueue(reply, reply, reply)
    with pytest.raises(error):
        await model.request([Message.user("x")])


async def test_non_json_body(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(RawReply(200, b"<html>proxy login</html>", content_type="text/html"))
    with pytest.raises(InvalidResponseError, match="not valid JSON") as info:
        await model.request([Message.user("x")])
    assert "proxy login" in (info.value.body or "")


async def test_json_without_choices(model: OpenAIChatModel, server: LoopbackServer) -> None:
    server.enqueue(JsonReply(200, {"object": "chat.completion", "choices": []}))
    with pytest.raises(InvalidResponseError, match="choices"):
        await model.request([Message.user("x")])


async def test_truncated_body_is_a_connection_error(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    truncated = TruncatedBody(200, b'{"id": "x", "choi')
    server.enqueue(truncated, truncated, truncated)
    with pytest.raises(ProviderConnectionError):
        await model.request([Message.user("x")])
    assert len(server.requests) == 3


async def test_connection_closed_without_answer_is_retried(
    model: OpenAIChatModel, server: LoopbackServer
) -> None:
    server.enqueue(CloseWithoutResponse())
    assert (await model.request([Message.user("x")])).text == "echo: x"


async def test_timeout(server: LoopbackServer) -> None:
    model = model_at("openai-compatible:m", server, timeout=0.2, retry=RetryPolicy(max_retries=0))
    server.enqueue(Delayed(2.0, JsonReply(200, openai_wire.chat_completion("late"))))
    with pytest.raises(ProviderTimeout):
        await model.request([Message.user("x")])
    await model.aclose()


async def test_unreachable_server() -> None:
    with LoopbackServer() as gone:
        url = gone.url
    from llmkit import get_model

    model = get_model("openai-compatible:m", base_url=url + "/v1", retry=FAST_RETRY)
    with pytest.raises(ProviderConnectionError):
        await model.request([Message.user("x")])
    await model.aclose()


async def test_connections_are_pooled_and_released(server: LoopbackServer) -> None:
    model = model_at("openai-compatible:m", server)
    for _ in range(5):
        await model.request([Message.user("x")])
    async with model.stream([Message.user("y")]) as stream:
        async for _ in stream:
            break  # stop early: the connection must still be released
    await model.request([Message.user("z")])
    assert server.connections_opened <= 2
    await model.aclose()
    assert server.wait_until_idle()


async def test_embeddings(model: OpenAIChatModel, server: LoopbackServer) -> None:
    vectors = await model.embed(["a", "b", "c"])
    assert len(vectors) == 3 and all(len(v) == 8 for v in vectors)
    assert vectors[0] != vectors[1]
    assert server.last_request.json == {"model": "test-model", "input": ["a", "b", "c"]}
    assert await model.embed([]) == []


async def test_openai_official_url_uses_max_completion_tokens(server: LoopbackServer) -> None:
    from llmkit import get_model

    model = get_model("openai:gpt-4.1-mini", api_key="sk-test")
    assert isinstance(model, OpenAIChatModel)
    body = model.build_body([Message.user("x")], [], ModelSettings(max_tokens=5), stream=False)
    assert body["max_completion_tokens"] == 5 and "max_tokens" not in body
