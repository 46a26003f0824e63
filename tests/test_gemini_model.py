"""The Gemini generateContent wire format over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from llmkit import (
    AuthenticationError,
    FinishEvent,
    GeminiModel,
    ImagePart,
    InvalidResponseError,
    Message,
    ModelSettings,
    RateLimitError,
    ResponseFormat,
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
from llmkit.models.gemini import clean_schema
from tests.provider_fixtures import assert_interrupted_after, model_at, serve
from tests.servers import (
    JsonReply,
    LoopbackServer,
    RawReply,
    ResetConnection,
    StreamReply,
    gemini_default_handler,
    gemini_wire,
    sse,
)

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "title": "Args",
        "additionalProperties": False,
        "properties": {
            "city": {"type": "string", "title": "City"},
            "title": {"type": ["string", "null"]},  # a property *named* title stays
        },
        "required": ["city"],
    },
)
CLEAN_WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "title": {"type": "string", "nullable": True}},
    "required": ["city"],
}
PNG = ImagePart.from_bytes(b"\x89PNG fake", "image/png")
BASE = "/v1beta/models/gemini-test"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from serve(gemini_default_handler)


@pytest.fixture
async def model(server: LoopbackServer) -> AsyncIterator[GeminiModel]:
    m = model_at("gemini:gemini-test", server, path="/v1beta")
    assert isinstance(m, GeminiModel)
    yield m
    await m.aclose()


def reply_with(parts: list[dict[str, object]], finish: str = "STOP") -> JsonReply:
    body = gemini_wire.generate_response()
    body["candidates"][0].update(content={"role": "model", "parts": parts}, finishReason=finish)
    return JsonReply(200, body)


async def test_text_reply(model: GeminiModel, server: LoopbackServer) -> None:
    reply = await model.request([Message.system("be kind"), Message.user("hello there")])
    assert reply.text == "echo: hello there"
    assert (reply.finish_reason, reply.raw_finish_reason) == ("stop", "STOP")
    assert reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0
    assert (reply.provider, reply.response_id) == ("gemini", "resp-test")
    sent = server.last_request
    assert sent.path == f"{BASE}:generateContent"
    assert sent.headers["x-goog-api-key"] == "test-key"
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "hello there"}]}],
        "systemInstruction": {"parts": [{"text": "be kind"}]},
    }


async def test_request_wire_shape(model: GeminiModel, server: LoopbackServer) -> None:
    history = [
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
    ]
    settings = ModelSettings(
        max_tokens=50,
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        seed=7,
        tool_choice="get_weather",
        response_format=ResponseFormat(schema={"type": "object", "title": "Kept"}),
        extra_body={"generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}},
    )
    await model.request(history, tools=[WEATHER], settings=settings)
    body = server.last_request.json
    png = PNG.url.partition(",")[2]
    assert body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "look"},
                {"inlineData": {"mimeType": "image/png", "data": png}},
                {"fileData": {"fileUri": "https://x.test/a.jpg", "mimeType": "image/jpeg"}},
                {"text": "and this"},  # consecutive user turns merged
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "checking"},
                {"functionCall": {"id": "c1", "name": "get_weather", "args": {"city": "Oslo"}}},
                {"functionCall": {"id": "c2", "name": "get_weather", "args": {}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "c1",
                        "name": "get_weather",
                        "response": {"result": "-3C"},
                    }
                },
                {
                    "functionResponse": {
                        "id": "c2",
                        "name": "get_weather",
                        "response": {"error": "bad"},
                    }
                },
            ],
        },
    ]
    assert "systemInstruction" not in body
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parameters": CLEAN_WEATHER,
                }
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    assert body["generationConfig"] == {
        "maxOutputTokens": 50,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
        "seed": 7,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "title": "Kept"},  # standard JSON Schema
        "thinkingConfig": {"thinkingBudget": 0},  # extra_body merged into it
    }


@pytest.mark.parametrize(
    ("choice", "mode"), [("auto", "AUTO"), ("required", "ANY"), ("none", "NONE")]
)
def test_tool_choice_modes(model: GeminiModel, choice: str, mode: str) -> None:
    body = model.build_body([Message.user("x")], [WEATHER], ModelSettings(tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": mode}}


def test_json_object_and_argumentless_tools(model: GeminiModel) -> None:
    settings = ModelSettings(response_format=ResponseFormat(type="json_object"))
    body = model.build_body([Message.user("x")], [ToolDefinition(name="now")], settings)
    assert body["generationConfig"] == {"responseMimeType": "application/json"}
    assert body["tools"] == [{"functionDeclarations": [{"name": "now"}]}]


def test_clean_schema_nested() -> None:
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": True,
            "properties": {"n": {"type": ["integer", "string"]}},
        },
    }
    assert clean_schema(schema) == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"n": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
        },
    }


async def test_function_call_reply(model: GeminiModel, server: LoopbackServer) -> None:
    server.enqueue(
        JsonReply(
            200,
            gemini_wire.generate_response(
                "Let me check.",
                function_calls=[
                    ("get_weather", {"city": "Oslo"}),
                    ("get_weather", {"city": "Lima"}),
                ],
            ),
        )
    )
    reply = await model.request([Message.user("weather?")], tools=[WEATHER])
    assert (reply.finish_reason, reply.text) == ("tool_calls", "Let me check.")
    assert reply.tool_calls == [
        ToolCallPart(id="call_0", name="get_weather", arguments={"city": "Oslo"}),
        ToolCallPart(id="call_1", name="get_weather", arguments={"city": "Lima"}),
    ]


async def test_thoughts_are_skipped(model: GeminiModel, server: LoopbackServer) -> None:
    server.enqueue(reply_with([{"text": "pondering", "thought": True}, {"text": "answer"}]))
    assert (await model.request([Message.user("x")])).text == "answer"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("SOMETHING_NEW", "other"),
    ],
)
async def test_finish_reasons(
    model: GeminiModel, server: LoopbackServer, raw: str, reason: str
) -> None:
    server.enqueue(JsonReply(200, gemini_wire.generate_response("x", finish_reason=raw)))
    reply = await model.request([Message.user("x")])
    assert (reply.finish_reason, reply.raw_finish_reason) == (reason, raw)


async def test_blocked_prompt_is_content_filter(model: GeminiModel, server: LoopbackServer) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 4},
    }
    server.enqueue(JsonReply(200, blocked), StreamReply(events=[sse(blocked)]))
    reply = await model.request([Message.user("x")])
    assert (reply.finish_reason, reply.raw_finish_reason, reply.message.parts) == (
        "content_filter",
        "SAFETY",
        [],
    )
    assert reply.usage.input_tokens == 4
    streamed = await model.stream([Message.user("x")]).get_response()
    assert (streamed.finish_reason, streamed.text) == ("content_filter", "")


async def test_stream_text_and_usage(model: GeminiModel, server: LoopbackServer) -> None:
    events = []
    async with model.stream([Message.user("stream me please")]) as stream:
        async for event in stream:
            events.append(event)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    assert "".join(deltas) == "echo: stream me please" == stream.response.text
    assert isinstance(events[-1], FinishEvent)
    usage = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usage[-1].output_tokens == len(deltas)
    assert usage[-1].input_tokens > 0
    assert stream.response.usage.output_tokens == len(deltas)
    sent = server.last_request
    assert (sent.path, sent.query) == (f"{BASE}:streamGenerateContent", {"alt": "sse"})


async def test_stream_crlf_and_function_calls(model: GeminiModel, server: LoopbackServer) -> None:
    args = {"city": "Reykjavik", "unit": "celsius"}
    server.enqueue(
        StreamReply(
            events=gemini_wire.generate_stream(
                ["Checking"], function_calls=[("get_weather", args), ("get_weather", {})], crlf=True
            )
        )
    )
    stream = model.stream([Message.user("x")], tools=[WEATHER])
    events = [e async for e in stream]
    kinds = [type(e) for e in events if isinstance(e, ToolCallStart | ToolCallDelta | ToolCallEnd)]
    assert kinds == [ToolCallStart, ToolCallDelta, ToolCallEnd] * 2
    starts = [(e.index, e.id, e.name) for e in events if isinstance(e, ToolCallStart)]
    assert starts == [(0, "call_0", "get_weather"), (1, "call_1", "get_weather")]
    deltas = [e.arguments_delta for e in events if isinstance(e, ToolCallDelta)]
    assert json.loads(deltas[0]) == args
    response = stream.response
    assert (response.finish_reason, response.text) == ("tool_calls", "Checking")
    assert [c.arguments for c in response.tool_calls] == [args, {}]


async def test_stream_reset_mid_way_is_interrupted(
    model: GeminiModel, server: LoopbackServer
) -> None:
    events = gemini_wire.generate_stream(["Hello", " wor", "ld"])
    server.enqueue(StreamReply(events=[*events[:2], ResetConnection()]))
    stream = model.stream([Message.user("x")])
    await assert_interrupted_after(stream, server, "Hello wor")


async def test_stream_without_finish_reason(model: GeminiModel, server: LoopbackServer) -> None:
    events = gemini_wire.generate_stream(["partial", "rest"])
    server.enqueue(StreamReply(events=events[:1]), StreamReply(events=[]))
    with pytest.raises(StreamInterrupted) as info:
        await model.stream([Message.user("x")]).get_response()
    assert info.value.partial_text == "partial"
    with pytest.raises(InvalidResponseError, match="finishReason"):
        await model.stream([Message.user("x")]).get_response()


async def test_stream_error_chunk_is_typed(model: GeminiModel, server: LoopbackServer) -> None:
    error = gemini_wire.error_body(429, "RESOURCE_EXHAUSTED", "quota exceeded")
    server.enqueue(StreamReply(events=[sse(error)]))
    with pytest.raises(RateLimitError, match="quota exceeded"):
        await model.stream([Message.user("x")]).get_response()


async def test_stream_non_json_chunk(model: GeminiModel, server: LoopbackServer) -> None:
    server.enqueue(StreamReply(events=[b"data: {not json\n\n"]))
    with pytest.raises(InvalidResponseError, match="not JSON"):
        await model.stream([Message.user("x")]).get_response()


async def test_bad_key_is_authentication_error(server: LoopbackServer) -> None:
    model = model_at("gemini:gemini-test", server, path="/v1beta", api_key="bad-key")
    with pytest.raises(AuthenticationError) as info:
        await model.request([Message.user("x")])
    assert info.value.status_code == 401
    # The real service answers a bad key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
    server.enqueue(gemini_wire.error_reply(400, "API key not valid. Please pass a valid API key."))
    with pytest.raises(AuthenticationError) as info:
        await model.stream([Message.user("x")]).get_response()
    assert info.value.status_code == 400
    await model.aclose()


async def test_429_then_success(model: GeminiModel, server: LoopbackServer) -> None:
    server.enqueue(gemini_wire.error_reply(429, "Resource has been exhausted"))
    assert (await model.request([Message.user("ok")])).text == "echo: ok"
    assert len(server.requests) == 2


async def test_malformed_bodies(model: GeminiModel, server: LoopbackServer) -> None:
    server.enqueue(
        RawReply(200, b"<html>proxy login</html>", content_type="text/html"),
        JsonReply(200, {"usageMetadata": {}}),
    )
    with pytest.raises(InvalidResponseError, match="not valid JSON") as info:
        await model.request([Message.user("x")])
    assert "proxy login" in (info.value.body or "")
    with pytest.raises(InvalidResponseError, match="no candidates") as info:
        await model.request([Message.user("x")])
    assert "usageMetadata" in (info.value.body or "")


async def test_embeddings(model: GeminiModel, server: LoopbackServer) -> None:
    vectors = await model.embed(["a", "b", "c"])
    assert len(vectors) == 3
    assert all(len(v) == 8 for v in vectors)
    assert vectors[0] != vectors[1]
    sent = server.last_request
    assert sent.path == f"{BASE}:batchEmbedContents"
    assert sent.json["requests"][0] == {
        "model": "models/gemini-test",
        "content": {"parts": [{"text": "a"}]},
    }
    assert await model.embed([]) == []


async def test_thought_signatures_go_back_with_their_calls(
    model: GeminiModel, server: LoopbackServer
) -> None:
    signed = {
        "functionCall": {"name": "get_weather", "args": {"city": "Oslo"}},
        "thoughtSignature": "c2lnbmVk",
    }
    server.enqueue(reply_with([signed]))
    reply = await model.request([Message.user("weather?")], tools=[WEATHER])
    call = reply.tool_calls[0]
    assert call.provider_data == {"thoughtSignature": "c2lnbmVk"}
    # Streamed, the signature survives too.
    body = gemini_wire.generate_response()
    body["candidates"][0]["content"] = {"role": "model", "parts": [signed]}
    server.enqueue(StreamReply(events=[f"data: {json.dumps(body)}\n\n".encode()]))
    streamed = await model.stream([Message.user("weather?")], tools=[WEATHER]).get_response()
    assert streamed.tool_calls[0].provider_data == {"thoughtSignature": "c2lnbmVk"}
    # A thinking model rejects the next turn unless the signature comes back.
    result = ToolResultPart(tool_call_id=call.id, name=call.name, content="-3C")
    await model.request(
        [Message.user("weather?"), reply.message, Message.tool_results([result])], tools=[WEATHER]
    )
    sent = server.last_request.json["contents"][1]["parts"][0]
    assert sent["thoughtSignature"] == "c2lnbmVk"
    assert sent["functionCall"]["name"] == "get_weather"
