"""ScriptedModel, FunctionModel, FallbackModel and the network guard."""

from __future__ import annotations

import socket

import pytest

from llmkit import (
    FallbackExhausted,
    FallbackModel,
    FinishEvent,
    LLMKitError,
    Message,
    ModelSettings,
    ProviderConnectionError,
    RateLimitError,
    ServerError,
    StreamInterrupted,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolDefinition,
)
from llmkit.testing import (
    FunctionModel,
    NetworkBlockedError,
    RecordedRequest,
    Reply,
    ScriptedModel,
    ToolCall,
    block_network,
    last_user_text,
)

TOOL = ToolDefinition(name="add", parameters={"type": "object"})


async def test_scripted_model_plays_back_and_records() -> None:
    model = ScriptedModel(["first", ToolCall(name="add", args={"a": 1, "b": 2}, id="c9")])
    reply = await model.request([Message.user("hi")], settings=ModelSettings(max_tokens=3))
    assert reply.text == "first" and reply.finish_reason == "stop"
    assert reply.usage.input_tokens > 0 and reply.usage.requests == 1
    reply = await model.request([Message.user("again")], tools=[TOOL])
    assert reply.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("c9", "add", {"a": 1, "b": 2})
    ]
    assert [r.messages[0].text for r in model.requests] == ["hi", "again"]
    assert model.requests[0].settings == ModelSettings(max_tokens=3)
    assert model.requests[1].tools == [TOOL]
    assert model.remaining == 0
    with pytest.raises(LLMKitError, match="ran out of replies"):
        await model.request([Message.user("one too many")])


async def test_scripted_stream_matches_the_whole_reply() -> None:
    model = ScriptedModel(
        ["a streamed answer", [ToolCall(name="add", args={"a": 10}), ToolCall(name="add")]],
        chunk_size=3,
    )
    events = [e async for e in model.stream([Message.user("x")])]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "a streamed answer"
    assert isinstance(events[-1], FinishEvent)
    stream = model.stream([Message.user("y")], tools=[TOOL])
    events = [e async for e in stream]
    fragments = "".join(
        e.arguments_delta for e in events if isinstance(e, ToolCallDelta) and e.index == 0
    )
    assert fragments == '{"a": 10}'
    assert [e.part.arguments for e in events if isinstance(e, ToolCallEnd)] == [{"a": 10}, {}]
    assert stream.response.tool_calls[1].id == "call_1"


async def test_scripted_exceptions_are_raised() -> None:
    model = ScriptedModel([RateLimitError("slow", retry_after=2.0)])
    with pytest.raises(RateLimitError):
        await model.request([Message.user("x")])


async def test_function_model_sees_the_request() -> None:
    def reply(request: RecordedRequest) -> Reply:
        if request.tools and not any(m.role == "tool" for m in request.messages):
            return ToolCall(
                name=request.tools[0].name, args={"q": last_user_text(request.messages)}
            )
        return f"{len(request.messages)} messages"

    model = FunctionModel(reply)
    first = await model.request([Message.user("sum")], tools=[TOOL])
    assert first.tool_calls[0].arguments == {"q": "sum"}
    assert (await model.request([Message.user("a"), Message.user("b")])).text == "2 messages"


async def test_function_model_accepts_async_functions() -> None:
    async def reply(request: RecordedRequest) -> Reply:
        return "async " + last_user_text(request.messages)

    model = FunctionModel(reply)
    assert (await model.stream([Message.user("hi")]).get_response()).text == "async hi"


async def test_fallback_moves_on_after_provider_errors() -> None:
    broken = ScriptedModel([ServerError("down"), ServerError("down")])
    backup = ScriptedModel(["from backup", "streamed backup"])
    model = FallbackModel(broken, backup)
    assert (await model.request([Message.user("x")])).text == "from backup"
    assert (await model.stream([Message.user("x")]).get_response()).text == "streamed backup"
    assert len(broken.requests) == 2 and len(backup.requests) == 2


async def test_fallback_exhausted_lists_every_error() -> None:
    model = FallbackModel(
        ScriptedModel([ServerError("a")]), ScriptedModel([ProviderConnectionError("b")])
    )
    with pytest.raises(FallbackExhausted) as info:
        await model.request([Message.user("x")])
    assert [type(e) for e in info.value.errors] == [ServerError, ProviderConnectionError]


async def test_fallback_stream_does_not_splice_after_content() -> None:
    class BreaksMidStream(ScriptedModel):
        def stream(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
            inner = super().stream(messages, tools=tools, settings=settings)

            async def events():  # type: ignore[no-untyped-def]
                async for event in inner:
                    yield event
                    if isinstance(event, TextDelta):
                        raise StreamInterrupted("cut", partial_text=event.text)

            from llmkit import ModelStream

            return ModelStream(events())

    backup = ScriptedModel(["never used"])
    model = FallbackModel(BreaksMidStream(["hello world"]), backup)
    with pytest.raises(StreamInterrupted):
        await model.stream([Message.user("x")]).get_response()
    assert backup.requests == []


def test_block_network_refuses_other_hosts() -> None:
    with block_network():
        with socket.socket() as sock, pytest.raises(NetworkBlockedError):
            sock.connect(("93.184.216.34", 80))
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("example.com", 443)
        with socket.socket() as sock, pytest.raises(NetworkBlockedError):
            sock.connect_ex(("10.1.2.3", 80))
        # Loopback stays allowed (the connection is refused by nobody listening, not blocked).
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("127.0.0.1", 9)) != 0


async def test_httpx_cannot_reach_the_internet_in_tests() -> None:
    import time

    from llmkit import RetryPolicy, get_model

    model = get_model(
        "openai-compatible:m", base_url="http://198.51.100.7/v1", retry=RetryPolicy(max_retries=0)
    )
    start = time.monotonic()
    with pytest.raises(ProviderConnectionError):
        await model.request([Message.user("x")])
    assert time.monotonic() - start < 1.0  # refused by the guard, not a connect timeout
    await model.aclose()
