"""The loopback test servers speak real HTTP/1.1, checked with stdlib clients only."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import (
    CloseWithoutResponse,
    JsonReply,
    LoopbackServer,
    Pause,
    RawReply,
    ResetConnection,
    ScriptedHandler,
    StreamReply,
    TruncatedBody,
    anthropic_default_handler,
    anthropic_wire,
    gemini_default_handler,
    gemini_wire,
    openai_default_handler,
    openai_wire,
    parse_sse,
    sse,
)

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}


@pytest.fixture
def openai() -> Iterator[LoopbackServer]:
    with LoopbackServer(ScriptedHandler(openai_default_handler)) as server:
        yield server


def connect(server: LoopbackServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)


def post(
    conn: http.client.HTTPConnection, path: str, body: Any, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    conn.request(
        "POST", path, json.dumps(body), {"Content-Type": "application/json"} | (headers or {})
    )
    return conn.getresponse()


def test_keep_alive_serves_two_requests_on_one_connection(openai: LoopbackServer) -> None:
    conn = connect(openai)
    try:
        first = post(conn, "/v1/chat/completions", CHAT, {"Authorization": "Bearer k"})
        first_body = json.loads(first.read())
        second = post(conn, "/v1/embeddings", {"model": "e", "input": ["a", "b"]})
        second_body = json.loads(second.read())
    finally:
        conn.close()
    assert first.status == 200
    assert first_body["object"] == "chat.completion"
    assert first_body["choices"][0]["message"]["content"] == "echo: hello there"
    assert first_body["usage"]["total_tokens"] == 2 + 5
    assert [len(item["embedding"]) for item in second_body["data"]] == [8, 8]
    assert openai.connections_opened == 1
    a, b = openai.requests
    assert (a.method, a.path, a.json) == ("POST", "/v1/chat/completions", CHAT)
    assert a.headers["authorization"] == "Bearer k"
    assert a.connection_id == b.connection_id
    assert b.json == {"model": "e", "input": ["a", "b"]}
    assert openai.wait_until_idle()
    assert openai.open_connections == 0


def test_openai_stream_is_chunked_sse(openai: LoopbackServer) -> None:
    body = CHAT | {"stream": True, "stream_options": {"include_usage": True}}
    conn = connect(openai)
    try:
        response = post(conn, "/v1/chat/completions", body)
        raw = response.read()
    finally:
        conn.close()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Type") == "text/event-stream"
    events = parse_sse(raw)
    assert events[-1].data == "[DONE]"
    chunks = [event.json() for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "echo: hello there"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 5


def test_anthropic_and_gemini_streams() -> None:
    with (
        LoopbackServer(anthropic_default_handler) as anthropic,
        LoopbackServer(gemini_default_handler) as gemini,
    ):
        conn = connect(anthropic)
        try:
            headers = {"anthropic-version": "2023-06-01", "x-api-key": "k"}
            missing = post(conn, "/v1/messages", CHAT, headers)
            missing_body = json.loads(missing.read())
            response = post(conn, "/v1/messages", CHAT | {"max_tokens": 9, "stream": True}, headers)
            events = parse_sse(response.read())
        finally:
            conn.close()
        conn = connect(gemini)
        try:
            contents = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
            path = "/v1beta/models/g-1:streamGenerateContent?alt=sse&key=k"
            chunks = [event.json() for event in parse_sse(post(conn, path, contents).read())]
        finally:
            conn.close()
    assert missing.status == 400
    assert missing_body["error"]["type"] == "invalid_request_error"
    names = [event.event for event in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert all(event.json()["type"] == event.event for event in events)
    deltas = [e.json()["delta"]["text"] for e in events if e.event == "content_block_delta"]
    assert "".join(deltas) == "echo: hello there"
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == "echo: hi"
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["modelVersion"] == "g-1"
    assert gemini.last_request.query == {"alt": "sse", "key": "k"}


def test_bad_keys_get_provider_error_bodies(openai: LoopbackServer) -> None:
    with LoopbackServer(gemini_default_handler) as gemini:
        conn, gconn = connect(openai), connect(gemini)
        try:
            denied = post(conn, "/v1/chat/completions", CHAT, {"Authorization": "Bearer bad-key"})
            denied_body = json.loads(denied.read())
            path = "/v1beta/models/g:generateContent"
            gdenied = post(gconn, path, {"contents": []}, {"x-goog-api-key": "bad-key"})
            gdenied_body = json.loads(gdenied.read())
        finally:
            conn.close()
            gconn.close()
    assert denied.status == 401
    assert denied_body["error"]["code"] == "invalid_api_key"
    assert set(denied_body["error"]) == {"message", "type", "param", "code"}
    assert gdenied.status == 401
    assert gdenied_body["error"]["status"] == "UNAUTHENTICATED"


def test_reset_mid_stream_after_earlier_chunks() -> None:
    reply = StreamReply(events=[sse({"n": 1}), sse({"n": 2}), ResetConnection(), sse({"n": 3})])
    with LoopbackServer(lambda request: reply) as server:
        received = b""
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            with pytest.raises(ConnectionResetError):  # noqa: PT012 - reads until the reset
                while chunk := sock.recv(65536):
                    received += chunk
        assert server.wait_until_idle()
    assert b"200 OK" in received
    assert b'{"n":1}' in received
    assert b'{"n":2}' in received
    assert b'{"n":3}' not in received
    assert not received.endswith(b"0\r\n\r\n")


def test_truncated_body_and_close_without_response() -> None:
    handler = ScriptedHandler()
    handler.enqueue(TruncatedBody(200, b'{"partial":', declared_length=100), CloseWithoutResponse())
    with LoopbackServer(handler) as server:
        conn = connect(server)
        try:
            response = post(conn, "/x", {})
            with pytest.raises(http.client.IncompleteRead):
                response.read()
            conn.close()
            with pytest.raises(http.client.RemoteDisconnected):
                post(conn, "/x", {})
        finally:
            conn.close()
        assert server.connections_opened == 2


def test_scripted_replies_route_by_path_then_fall_back() -> None:
    with LoopbackServer() as server:
        server.enqueue(JsonReply(201, {"for": "b"}), path="/b")
        server.enqueue(RawReply(502, b"<html>bad gateway</html>", content_type="text/html"))
        conn = connect(server)
        try:
            results = []
            for path in ("/a", "/b", "/a"):
                response = post(conn, path, {"p": path})
                results.append((response.status, response.read()))
        finally:
            conn.close()
    assert results[0] == (502, b"<html>bad gateway</html>")
    assert results[1] == (201, b'{"for": "b"}')
    assert results[2][0] == 500
    assert b"no scripted reply" in results[2][1]


def test_chunked_request_body_and_handler_errors() -> None:
    def broken(request: Any) -> Any:
        raise ValueError("boom")

    with LoopbackServer(broken) as server:
        conn = connect(server)
        try:
            parts = iter([b'{"a":', b" 1}"])
            conn.request(
                "POST", "/up", parts, {"Transfer-Encoding": "chunked"}, encode_chunked=True
            )
            response = conn.getresponse()
            body = json.loads(response.read())
        finally:
            conn.close()
    assert response.status == 500
    assert "boom" in body["error"]["message"]
    assert server.last_request.json == {"a": 1}
    assert isinstance(server.errors[0], ValueError)


def test_run_openai_script_serves_in_another_process() -> None:
    script = Path(__file__).parent / "servers" / "run_openai.py"
    command = [sys.executable, str(script), "--port", "0", "--chunks", "3"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().split()
            assert line[0] == "READY"
            host, port = line[1].removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            try:
                body = json.loads(post(conn, "/v1/chat/completions", CHAT).read())
            finally:
                conn.close()
        finally:
            proc.terminate()
    assert proc.returncode == 0
    assert body["choices"][0]["message"]["content"] == "t0 t1 t2 "


def test_stop_drops_open_and_stalled_connections() -> None:
    reply = StreamReply(events=[sse({"n": 1}), Pause(30), sse({"n": 2})])
    server = LoopbackServer(lambda request: reply).start()
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle,
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as stalled,
        ):
            stalled.sendall(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b'{"n":1}' in stalled.recv(65536)
            assert server.wait_for_open_connections(2)
            server.stop()
            assert server.open_connections == 0
            assert idle.recv(10) == b""
    finally:
        server.stop()  # idempotent


def test_builders_split_tool_arguments_the_real_way() -> None:
    args = '{"city": "Paris", "unit": "C"}'
    stream = openai_wire.chat_stream(["Hi"], tool_calls=[("c1", "w", args), ("c2", "t", "{}")])
    chunks = [event.json() for event in parse_sse(b"".join(stream))[:-1]]
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    calls = [delta["tool_calls"][0] for delta in deltas if "tool_calls" in delta]
    assert [call["id"] for call in calls if "id" in call] == ["c1", "c2"]
    assert "".join(c["function"]["arguments"] for c in calls if c["index"] == 0) == args
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"

    stream = anthropic_wire.message_stream(tool_uses=[("tu1", "w", {"city": "Paris"})])
    events = parse_sse(b"".join(stream))
    partial = [e.json()["delta"]["partial_json"] for e in events if e.data.find("input_json") > 0]
    assert json.loads("".join(partial)) == {"city": "Paris"}
    assert events[-2].json()["delta"]["stop_reason"] == "tool_use"

    stream = gemini_wire.generate_stream(["a"], function_calls=[("w", {"x": 1})], crlf=True)
    last = parse_sse(b"".join(stream))[-1].json()
    assert last["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "w", "args": {"x": 1}}}
    ]
    assert last["usageMetadata"]["totalTokenCount"] == 15
