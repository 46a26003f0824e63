"""Toolset and ToolRegistry: names stay unique, wrappers route to the original functions."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.errors import ConfigError, LLMKitError
from llmkit.tools import (
    FunctionTool,
    RunContext,
    ToolRegistry,
    Toolset,
    UnknownToolError,
    tool,
)

calls: list[tuple[str, Any]] = []


@tool(category="files", tags=["fs", "safe"], capabilities=["fs.read"])
def read(path: str) -> str:
    """Read a file."""
    calls.append(("read", path))
    return f"contents of {path}"


@tool(category="files", tags=["fs"], capabilities=["fs.write"], requires_approval=True)
def write(path: str, text: str) -> int:
    """Write a file."""
    calls.append(("write", path))
    return len(text)


@tool(category="web", tags=["safe"], capabilities=["net"], timeout=10)
async def fetch(url: str) -> str:
    """Fetch a URL."""
    calls.append(("fetch", url))
    return "<html>"


def ctx() -> RunContext[None]:
    return RunContext(deps=None, run_id="r")


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    calls.clear()


def test_toolset_keeps_order_and_looks_up_by_name() -> None:
    tools = Toolset([read, write, fetch])
    assert tools.names == ["read", "write", "fetch"]
    assert list(tools) == [read, write, fetch]
    assert len(tools) == 3
    assert "read" in tools and "delete" not in tools
    assert tools.get("write") is write
    assert tools.get("delete") is None
    assert tools["fetch"] is fetch
    assert [d.name for d in tools.definitions()] == ["read", "write", "fetch"]
    assert tools.definitions()[0] is read.definition


def test_toolset_accepts_plain_functions() -> None:
    def ping() -> str:
        """Ping."""
        return "pong"

    tools = Toolset([ping])
    assert isinstance(tools["ping"], FunctionTool)
    assert tools.definitions()[0].description == "Ping."


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="duplicate tool name 'read'"):
        Toolset([read, write, read])
    with pytest.raises(ConfigError, match="duplicate tool name 'read'"):
        Toolset([read]) + Toolset([read])


def test_combine_and_add() -> None:
    both = Toolset([read]).combine(Toolset([write]), [fetch])
    assert both.names == ["read", "write", "fetch"]
    assert (Toolset([read]) + Toolset([write]) + fetch).names == ["read", "write", "fetch"]
    assert Toolset.combine(Toolset([read]), Toolset([fetch])).names == ["read", "fetch"]


def test_filter() -> None:
    tools = Toolset([read, write, fetch])
    assert tools.filter(lambda t: not t.requires_approval).names == ["read", "fetch"]
    assert tools.names == ["read", "write", "fetch"]  # unchanged: toolsets are immutable


async def test_prefixed_renames_definitions_and_routes_calls_to_the_function() -> None:
    files = Toolset([read, write]).prefixed("fs")
    assert files.names == ["fs_read", "fs_write"]
    definition = files.definitions()[0]
    assert definition.name == "fs_read"
    assert definition.description == read.definition.description
    assert definition.parameters is read.definition.parameters
    assert await files["fs_read"].call(ctx(), {"path": "/a"}) == "contents of /a"
    assert calls == [("read", "/a")]
    # The wrapper keeps what a policy and the agent need to know.
    wrapped = files["fs_write"]
    assert wrapped.requires_approval and wrapped.capabilities == frozenset({"fs.write"})
    assert read.name == "read"  # the original is untouched


async def test_prefixing_twice_wraps_the_original_once() -> None:
    twice = Toolset([read]).prefixed("a").prefixed("b", sep="-")
    wrapper: Any = twice["b-a_read"]
    assert wrapper.inner is read
    assert await wrapper.call(ctx(), {"path": "/x"}) == "contents of /x"


async def test_renamed() -> None:
    tools = Toolset([read, write, fetch]).renamed({"read": "cat", "fetch": "curl"})
    assert tools.names == ["cat", "write", "curl"]
    assert tools["write"] is write
    assert [d.name for d in tools.definitions()] == ["cat", "write", "curl"]
    assert await tools["curl"].call(ctx(), {"url": "http://x"}) == "<html>"
    assert calls == [("fetch", "http://x")]
    assert tools.renamed({"cat": "read"})["read"] is read


def test_renamed_errors() -> None:
    tools = Toolset([read, write])
    with pytest.raises(UnknownToolError, match="unknown tool 'raed'"):
        tools.renamed({"raed": "cat"})
    with pytest.raises(ConfigError, match="duplicate tool name 'write'"):
        tools.renamed({"read": "write"})
    with pytest.raises(ConfigError, match="invalid tool name"):
        tools.renamed({"read": "cat file"})


def test_definitions_are_cached_but_callers_get_their_own_list() -> None:
    tools = Toolset([read, write])
    first = tools.definitions()
    first.clear()
    second = tools.definitions()
    assert [d.name for d in second] == ["read", "write"]
    assert second[0] is tools.definitions()[0]


def registry() -> ToolRegistry:
    reg = ToolRegistry()
    reg.register(read)
    reg.register(Toolset([write, fetch]))
    return reg


def test_registry_find() -> None:
    reg = registry()
    assert reg.find() == [read, write, fetch]
    assert reg.find("wr*") == [write]
    assert reg.find("*e*") == [read, write, fetch]
    assert reg.find(category="files") == [read, write]
    assert reg.find(tags=["safe"]) == [read, fetch]
    assert reg.find(tags=["fs", "safe"]) == [read]  # every tag must match
    assert reg.find(capability="net") == [fetch]
    assert reg.find("r*", category="web") == []


def test_registry_get_and_unknown_tool_error() -> None:
    reg = registry()
    assert reg.get("fetch") is fetch
    with pytest.raises(UnknownToolError) as info:
        reg.get("raed")
    error = info.value
    assert isinstance(error, LLMKitError) and isinstance(error, LookupError)
    assert error.name == "raed"
    assert error.available == ["fetch", "read", "write"]
    assert "Did you mean 'read'?" in str(error)
    assert "available: fetch, read, write" in str(error)
    with pytest.raises(UnknownToolError, match="no tools are registered"):
        ToolRegistry().get("x")


def test_registry_toolset_and_registration_rules() -> None:
    reg = registry()
    assert reg.toolset(["fetch", "read"]).names == ["fetch", "read"]
    assert reg.toolset().names == ["read", "write", "fetch"]
    with pytest.raises(UnknownToolError, match="unknown tool 'nope'"):
        reg.toolset(["read", "nope"])
    with pytest.raises(ConfigError, match="already registered"):
        reg.register(read)
    renamed_read = Toolset([read]).renamed({"read": "fetch"})["fetch"]
    reg.register(renamed_read, replace=True)
    assert reg.get("fetch") is renamed_read
    assert reg.unregister("read") is read
    assert "read" not in reg and len(reg) == 2


def test_register_works_as_a_decorator() -> None:
    reg = ToolRegistry()

    @reg.register
    @tool
    def hello(name: str) -> str:
        return f"hello {name}"

    assert reg.get("hello") is hello
    assert hello("bob") == "hello bob"
