"""Attacks on the Lua sandbox. Each test fails if the attack succeeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit.events import Event, EventBus
from llmkit.scripting import (
    SCRIPT_SANDBOX_DENIED,
    EnginePool,
    HostSession,
    ScriptPermissionError,
    ScriptRuntimeError,
    run,
)

FORBIDDEN = ["os", "io", "debug", "package", "dofile", "loadfile", "python"]


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize("name", FORBIDDEN)
def test_forbidden_global_is_absent_and_audited(name: str) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(SCRIPT_SANDBOX_DENIED, seen.append)
    assert run(f"return {name} == nil and rawget(_G, '{name}') == nil", bus=bus).value is True
    assert [e.payload["detail"] for e in seen] == [name]
    assert seen[0].payload["operation"] == "global"


@pytest.mark.usefixtures("both_modes")
def test_native_require_is_replaced_by_the_text_module_loader() -> None:
    with pytest.raises(ScriptRuntimeError, match="module 'os' not found"):
        run("return require('os')")


@pytest.mark.usefixtures("both_modes")
def test_string_dump_and_binary_load_are_refused_and_audited() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(SCRIPT_SANDBOX_DENIED, seen.append)
    code = """
    local f = function() return 1 end
    local ok1, e1 = pcall(string.dump, f)
    local ok2, e2 = pcall(load, "\\27Lua", "x", "b")
    local ok3, e3 = pcall(load, "\\27LuaT\\0")
    local fn, e4 = load("return 1", "x", "bt")
    return {ok1, ok2, ok3, e1, e2}
    """
    with pytest.raises(ScriptRuntimeError, match=r"load\(binary\) is not available"):
        run(code, bus=bus)
    value = run(code.replace('local fn, e4 = load("return 1", "x", "bt")', ""), bus=bus).value
    assert value[:3] == [False, False, False]
    assert "string.dump is not available" in value[3]
    operations = [e.payload["operation"] for e in seen]
    assert "string.dump" in operations and "load(binary)" in operations


@pytest.mark.usefixtures("both_modes")
def test_text_load_works_in_the_script_environment() -> None:
    assert run("x = 41; return load('return x + 1')()").value == 42


@pytest.mark.usefixtures("both_modes")
def test_string_metatable_is_hidden() -> None:
    assert run("return getmetatable('')").value is False
    with pytest.raises(ScriptRuntimeError):
        run("getmetatable('').__index.upper = function() return 'pwned' end")


def test_poisoned_string_library_does_not_reach_the_next_pooled_run() -> None:
    pool = EnginePool("lua", size=1)
    engine = pool.acquire()
    first = HostSession(engine="lua")
    poison = (
        "string.upper = function() return 'pwned' end\n"
        "math.floor = nil\nsecret = 'left behind'\n"
        "return ('a'):upper()"
    )
    assert (
        engine.on_thread(lambda: engine.execute(poison, chunk_name="a", folder=None, session=first))
        == "pwned"
    )
    pool.release(engine)
    again = pool.acquire()
    assert again is engine  # the same Lua state, reset
    check = "return {('a'):upper(), string.upper('b'), secret == nil, math.floor(1.5)}"
    second = HostSession(engine="lua")
    assert again.on_thread(
        lambda: again.execute(check, chunk_name="b", folder=None, session=second)
    ) == ["A", "B", True, 1]
    pool.close()


@pytest.mark.usefixtures("both_modes")
def test_globals_protected_metatable() -> None:
    with pytest.raises(ScriptRuntimeError, match="protected metatable"):
        run("setmetatable(_G, {})")


@pytest.mark.usefixtures("both_modes")
def test_python_objects_are_unreachable() -> None:
    # Every value a script can see is a plain Lua value: no userdata anywhere.
    code = """
    local seen, found = {}, {}
    local function walk(t, path)
      if seen[t] then return end
      seen[t] = true
      for k, v in pairs(t) do
        local kind = type(v)
        if kind == "userdata" then found[#found + 1] = path .. "." .. tostring(k) end
        if kind == "table" then walk(v, path .. "." .. tostring(k)) end
      end
    end
    walk(_G, "_G")
    return found
    """
    assert run(code).value == {}  # an empty table: nothing found


@pytest.mark.usefixtures("both_modes")
def test_bridge_functions_expose_no_python_attributes() -> None:
    code = """
    local ok, err = pcall(function() return Tool.call.__globals__ end)
    return {ok, tostring(err)}
    """
    ok, error = run(code).value
    assert ok is False and "attempt to index" in error


@pytest.mark.usefixtures("both_modes")
def test_collectgarbage_stop_is_refused() -> None:
    with pytest.raises(ScriptRuntimeError, match="not available"):
        run("collectgarbage('stop')")
    assert run("return collectgarbage('count') > 0").value is True


@pytest.mark.usefixtures("both_modes")
def test_file_network_and_process_tools_need_permissions(tmp_path: Path) -> None:
    from llmkit.tools import tool

    @tool(capabilities=["fs.read"])
    def read_file(path: str) -> str:
        """Read a file."""
        return Path(path).read_text()

    @tool(capabilities=["net"])
    def fetch(url: str) -> str:
        """Fetch a URL."""
        return url

    @tool(capabilities=["process"])
    def shell(command: str) -> str:
        """Run a command."""
        return command

    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    calls = {
        "read_file": {"path": str(secret)},
        "fetch": {"url": "http://127.0.0.1:9/"},
        "shell": {"command": "id"},
    }
    for name, args in calls.items():
        code = f"return Tool.call({name!r}, JSON.decode({__import__('json').dumps(args)!r}))"
        with pytest.raises(ScriptPermissionError, match="permission"):
            run(code, tools=[read_file, fetch, shell])
    from llmkit.scripting import Permissions

    granted = Permissions(read=(tmp_path,))
    code = f"return Tool.call('read_file', {{path = {str(secret)!r}}})"
    assert run(code, tools=[read_file], permissions=granted).value == "top secret"


@pytest.mark.usefixtures("both_modes")
def test_permission_error_is_catchable_and_names_the_host_error() -> None:
    from llmkit.tools import tool

    @tool(capabilities=["net"])
    def fetch(url: str) -> str:
        """Fetch a URL."""
        return url

    code = "local ok, err = pcall(Tool.call, 'fetch', {url = 'x'}) return {ok, err}"
    ok, message = run(code, tools=[fetch]).value
    assert ok is False and message.startswith("PermissionDenied:") and "--allow-net" in message
