"""MCP tools against a real SDK server (tests/mcp_server.py), over stdio and streamable HTTP."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.agents import Agent
from llmkit.errors import ConfigError
from llmkit.policy import Policy, ProcessPolicy
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools.base import ModelRetry, RunContext, ToolError
from llmkit.tools.mcp import MCPConnectionError, MCPStdio, MCPStreamableHTTP, MCPTool
from llmkit.tools.mcp.tool import result_to_value

pytest.importorskip("mcp")

SERVER = Path(__file__).resolve().parent / "mcp_server.py"
CTX: RunContext[None] = RunContext(deps=None, run_id="test")


def stdio_server(**options: Any) -> MCPStdio:
    return MCPStdio(sys.executable, [str(SERVER), "stdio"], **options)


@pytest.fixture
async def server() -> AsyncIterator[MCPStdio]:
    async with stdio_server(timeout=5.0) as connected:
        yield connected


# -- stdio ---------------------------------------------------------------------------------


async def test_lists_tools_with_schemas(server: MCPStdio) -> None:
    tools = server.toolset()
    assert tools.names == ["add", "echo", "fail", "pid", "slow"]
    add = tools["add"]
    assert isinstance(add, MCPTool)
    assert add.description == "Add two integers."
    schema = add.definition.parameters
    assert schema["type"] == "object"
    assert schema["required"] == ["a", "b"]
    assert schema["properties"]["a"]["type"] == "integer"
    assert add.capabilities == frozenset({"process"})
    assert add.timeout == 5.0
    assert server.tools() == tools


async def test_calls_add_and_echo(server: MCPStdio) -> None:
    tools = server.toolset()
    assert await tools["add"].call(CTX, {"a": 2, "b": 3}) == 5
    assert await tools["echo"].call(CTX, {"text": "héllo"}) == "héllo"


async def test_tool_error_becomes_model_retry(server: MCPStdio) -> None:
    with pytest.raises(ModelRetry, match="boom"):
        await server.toolset()["fail"].call(CTX, {"message": "boom"})
    # Arguments the server rejects also go back to the model.
    with pytest.raises(ModelRetry, match="validation error"):
        await server.toolset()["add"].call(CTX, {"a": "x"})


async def test_slow_call_times_out_and_connection_survives() -> None:
    async with stdio_server(timeout=0.3) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await server.toolset()["slow"].call(CTX, {"seconds": 10})
        assert time.monotonic() - started < 2
        assert await server.toolset()["echo"].call(CTX, {"text": "still here"}) == "still here"


async def test_prefix_namespaces_names_but_calls_the_remote_tool() -> None:
    async with stdio_server(prefix="calc") as server:
        tools = server.toolset()
        assert tools.names == ["calc_add", "calc_echo", "calc_fail", "calc_pid", "calc_slow"]
        assert tools["calc_add"].definition.name == "calc_add"
        assert await tools["calc_add"].call(CTX, {"a": 1, "b": 1}) == 2


async def test_close_stops_the_process_and_later_calls_fail() -> None:
    server = stdio_server()
    async with server:
        add = server.toolset()["add"]
        pid = await server.toolset()["pid"].call(CTX, {})
        os.kill(pid, 0)  # alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not server.connected
    with pytest.raises(ToolError, match="not connected"):
        await add.call(CTX, {"a": 1, "b": 2})
    with pytest.raises(MCPConnectionError, match="not connected"):
        server.toolset()
    await server.close()  # idempotent


async def test_agent_calls_mcp_tool_when_policy_grants_process(server: MCPStdio) -> None:
    model = ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), "5"])
    policy = Policy(processes=ProcessPolicy(["python3"]))
    agent = Agent(model, tools=server.toolset(), policy=policy)
    result = await agent.run("What is 2 + 3?")
    assert result.output == "5"
    assert model.requests[0].tools[0].name == "add"
    tool_result = model.requests[1].messages[-1].parts[0]
    assert tool_result.content == "5" and not tool_result.is_error  # type: ignore[union-attr]


async def test_agent_refuses_mcp_tool_by_default(server: MCPStdio) -> None:
    model = ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), "no"])
    result = await Agent(model, tools=server.toolset()).run("What is 2 + 3?")
    tool_result = model.requests[1].messages[-1].parts[0]
    assert tool_result.is_error  # type: ignore[union-attr]
    assert "process" in tool_result.content  # type: ignore[union-attr]
    assert result.output == "no"


async def test_missing_command_is_a_connection_error() -> None:
    with pytest.raises(MCPConnectionError, match="failed to start"):
        async with MCPStdio("/nonexistent/mcp-server"):
            pass


async def test_startup_is_bounded() -> None:
    hang = MCPStdio(sys.executable, ["-c", "import time; time.sleep(30)"], connect_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(MCPConnectionError, match=r"did not start within 0\.5 s"):
        await hang.connect()
    assert time.monotonic() - started < 8  # includes the SDK's bounded process shutdown
    assert not hang.connected


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # makes `import mcp` fail
    with pytest.raises(ConfigError, match=r"pip install 'llmkit\[mcp\]'"):
        MCPStdio("python3")


def test_result_conversion_placeholders_and_structured() -> None:
    from mcp_types import (
        CallToolResult,
        EmbeddedResource,
        ImageContent,
        ResourceLink,
        TextContent,
        TextResourceContents,
    )

    png = base64.b64encode(b"\x89PNG" + bytes(96)).decode()
    result = CallToolResult(
        content=[
            TextContent(text="a chart:"),
            ImageContent(data=png, mime_type="image/png"),
            ResourceLink(name="log", uri="file:///tmp/log.txt"),
            EmbeddedResource(resource=TextResourceContents(uri="file:///n.txt", text="note")),
        ]
    )
    assert result_to_value(result, None) == (
        "a chart:\n[image: image/png, 100 bytes]\n[resource: file:///tmp/log.txt]\nnote"
    )
    structured = CallToolResult(content=[TextContent(text="{}")], structured_content={"x": 1})
    assert result_to_value(structured, None) == {"x": 1}


# -- streamable HTTP -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def http_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    output = (tmp_path / "server.log").read_text()
                    pytest.fail(f"MCP HTTP server did not start:\n{output}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def test_streamable_http_calls_add(http_url: str) -> None:
    async with MCPStreamableHTTP(http_url, headers={"X-Test": "1"}, timeout=5.0) as server:
        tools = server.toolset()
        assert "add" in tools.names
        assert tools["add"].capabilities == frozenset({"net"})
        assert await tools["add"].call(CTX, {"a": 20, "b": 22}) == 42
        with pytest.raises(ModelRetry, match="nope"):
            await tools["fail"].call(CTX, {"message": "nope"})


async def test_streamable_http_unreachable_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}/mcp"
    with pytest.raises(MCPConnectionError):
        async with MCPStreamableHTTP(url, connect_timeout=3.0):
            pass
