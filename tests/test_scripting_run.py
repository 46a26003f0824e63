"""Running scripts: results, errors both ways, callbacks, modules, concurrency, agents."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest

from llmkit.agents import Agent
from llmkit.errors import ConfigError
from llmkit.scripting import (
    Limits,
    Permissions,
    ScriptRuntimeError,
    ScriptSyntaxError,
    ScriptValueError,
    UnknownEngineError,
    load_script,
    run,
    run_async,
)
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import ToolError, Toolset, tool


def test_values_cross_both_ways() -> None:
    args = {"n": 3, "f": 2.5, "s": "héllo", "list": [1, [2, 3]], "map": {"k": None}, "t": True}
    code = """
    return {math.type(ARGS.n), math.type(ARGS.f), ARGS.s, ARGS.list[2][1], ARGS.map.k == nil,
            ARGS.t, 3.0, 2^53, #ARGS.s}
    """
    value = run(code, args=args).value
    assert value == ["integer", "float", "héllo", 2, True, True, 3.0, 2.0**53, 6]
    assert isinstance(value[6], float)


def test_sparse_tables_become_dicts_with_integer_keys() -> None:
    assert run("return {[1] = 'a', [3] = 'c'}").value == {1: "a", 3: "c"}
    assert run("return {1, 2, x = 3}").value == {1: 1, 2: 2, "x": 3}


def test_cycles_and_depth_are_refused_with_an_error() -> None:
    with pytest.raises(ScriptRuntimeError, match="contains itself"):
        run("local t = {} t.self = t return JSON.encode(t)")
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(ScriptValueError, match="contains itself"):
        run("return 1", args=cyclic)
    deep = "local t = {} local c = t for i = 1, 100 do c.x = {} c = c.x end return JSON.encode(t)"
    with pytest.raises(ScriptRuntimeError, match="nested deeper than 64"):
        run(deep)
    with pytest.raises(ScriptValueError, match="64 bits"):
        run("return 1", args=[2**70])


def test_bad_keys_and_userdata_are_refused() -> None:
    with pytest.raises(ScriptRuntimeError, match="keys must be strings or integers"):
        run("return JSON.encode({[true] = 1})")
    with pytest.raises(ScriptRuntimeError, match="ScriptFunction is not JSON serializable"):
        run("return JSON.encode({f = print})")


def test_runtime_error_carries_file_line_and_traceback(tmp_path: Path) -> None:
    script = tmp_path / "broken.lua"
    script.write_text("local function inner()\n  error('went wrong')\nend\ninner()\n")
    with pytest.raises(ScriptRuntimeError) as caught:
        run(script)
    error = caught.value
    assert error.file == str(script) and error.line == 2 and error.message == "went wrong"
    assert "broken.lua:2:" in error.traceback and "in main chunk" in error.traceback
    assert "<python>" not in error.traceback  # the host's own frames are left out
    assert f"{script}:2: went wrong" in str(error)


def test_syntax_error_carries_line() -> None:
    with pytest.raises(ScriptSyntaxError) as caught:
        run("local a = 1\nlocal b = = 2")
    assert caught.value.line == 2 and caught.value.file == "<script>"


def test_host_error_is_catchable_and_names_its_type() -> None:
    code = """
    local ok, err = pcall(JSON.decode, "{not json")
    return {ok, err}
    """
    ok, message = run(code).value
    assert ok is False
    # Called straight from pcall, so there is no script line to prefix.
    assert message.startswith("ScriptValueError: JSON.decode: invalid JSON")
    code = "local ok, err = pcall(function() local v = JSON.decode('[') return v end) return err"
    value = run(code).value
    assert value.startswith("<script>:1: ScriptValueError: JSON.decode")


def test_uncaught_host_error_keeps_the_python_exception() -> None:
    with pytest.raises(ScriptRuntimeError) as caught:
        run("Schema.validate(1, {type = 'nonsense'})")
    assert type(caught.value.host_error).__name__ == "SchemaError"
    assert caught.value.__cause__ is caught.value.host_error


def test_bad_bridge_arguments_name_the_parameter() -> None:
    with pytest.raises(ScriptRuntimeError, match=r"Output\.parse: argument 'text' must be string"):
        run("Output.parse({})")
    with pytest.raises(ScriptRuntimeError, match="argument 'text' is required"):
        run("Output.detect()")
    with pytest.raises(ScriptRuntimeError, match="takes at most 1 argument"):
        run("Output.detect('a', 'b')")


def test_print_goes_to_the_output_callback_in_order() -> None:
    pieces: list[str] = []
    result = run("print('a', 1, nil) print(true)", output=pieces.append)
    assert pieces == ["a\t1\tnil\n", "true\n"] and result.output == ""


def test_warn_goes_to_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="llmkit.script"):
        run("warn('@on') warn('disk ', 'low') warn('@off') warn('hidden')")
    messages = [r.getMessage() for r in caplog.records]
    assert "lua warn: disk low" in messages and not any("hidden" in m for m in messages)


def test_log_bridge_uses_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="llmkit.script"):
        run("log.info('processed 3 items')")
    assert "[lua] processed 3 items" in [r.getMessage() for r in caplog.records]


async def test_script_function_called_from_python() -> None:
    code = """
    counter = 0
    function bump(by, extra) counter = counter + by return {counter = counter, extra = extra} end
    function fail() error("nope") end
    """
    async with await load_script(code) as script:
        assert await script.call("bump", 2, {"a": [1]}) == {"counter": 2, "extra": {"a": [1]}}
        assert script.call_sync("bump", 3)["counter"] == 5
        with pytest.raises(ScriptRuntimeError, match="nope"):
            await script.call("fail")
        with pytest.raises(ScriptValueError, match="no global function 'missing'"):
            await script.call("missing")
    with pytest.raises(ConfigError, match="closed"):
        await script.call("bump", 1)


async def test_callback_call_gets_its_own_time_limit() -> None:
    script = await load_script("function spin() while true do end end", limits=Limits(timeout=0.2))
    from llmkit.scripting import ScriptTimeout

    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        await script.call("spin")
    assert time.monotonic() - started < 1.0
    script.close()


def test_require_loads_modules_from_the_script_folder_and_module_paths(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "strings.lua").write_text(
        "local M = {} function M.shout(s) return s:upper() .. '!' end return M"
    )
    extra = tmp_path / "extra"
    (extra / "pkg").mkdir(parents=True)
    (extra / "pkg" / "init.lua").write_text("loads = (loads or 0) + 1 return {answer = 42}")
    (tmp_path / "outside.lua").write_text("return 'outside'")
    main = tmp_path / "main.lua"
    main.write_text(
        "local s = require('lib.strings') local p = require('pkg') require('pkg')\n"
        "return {s.shout('hi'), p.answer, loads}"
    )
    assert run(main, module_paths=(extra,)).value == ["HI!", 42, 1]
    with pytest.raises(ScriptRuntimeError, match="not a dotted identifier"):
        run("return require('../outside')")
    with pytest.raises(ScriptRuntimeError, match=r"module 'lib\.strings' not found"):
        run("return require('lib.strings')")  # text scripts have no folder


async def test_scripts_run_concurrently_and_the_loop_stays_free() -> None:
    code = "local t0 = ARGS[1] local x = 0 for i = 1, 1e7 do x = x + i end return x"
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    results = await asyncio.gather(*(run_async(code, args=[i]) for i in range(3)))
    task.cancel()
    assert [r.value for r in results] == [sum(range(1, 10_000_001))] * 3
    assert ticks > 3  # the event loop kept running while the scripts did


async def test_script_defined_tool_called_by_an_agent(tmp_path: Path) -> None:
    path = tmp_path / "tools.lua"
    path.write_text(
        """
        Tool.define{
          name = "word_count",
          description = "Counts the words in a text",
          params = {type = "object", properties = {text = {type = "string"}},
                    required = {"text"}},
          fn = function(args)
            local n = 0
            for _ in args.text:gmatch("%S+") do n = n + 1 end
            return {words = n, prefix = ARGS.prefix}
          end,
        }
        """
    )
    tools = Toolset.from_script(path, args={"prefix": "n="})
    assert tools.names == ["word_count"]
    model = ScriptedModel(
        [ToolCall(name="word_count", args={"text": "one two three"}), "There are 3 words."]
    )
    result = await Agent(model, tools=tools).run("How many words?")
    assert result.output == "There are 3 words."
    tool_results = [p for m in result.messages for p in m.parts if p.kind == "tool_result"]
    content = tool_results[0].content  # type: ignore[union-attr]
    assert json.loads(content) == {"prefix": "n=", "words": 3}  # Lua key order varies
    assert tools.definitions()[0].parameters["required"] == ["text"]


async def test_script_tool_rejects_bad_arguments_for_the_model() -> None:
    from llmkit.tools import ModelRetry, RunContext

    script = await load_script(
        "Tool.define('twice', 'Doubles', {type = 'object', properties = {n = {type = 'integer'}},"
        " required = {'n'}}, function(a) return a.n * 2 end)"
    )
    (tool_obj,) = script.tools
    ctx: RunContext[None] = RunContext(deps=None, run_id="t")
    assert await tool_obj.call(ctx, {"n": 21}) == 42
    with pytest.raises(ModelRetry, match="n"):
        await tool_obj.call(ctx, {"n": "x"})
    script.close()


def test_script_calls_a_host_async_tool() -> None:
    @tool
    async def add(a: int, b: int) -> int:
        """Add."""
        await asyncio.sleep(0)
        return a + b

    assert run("return Tool.call('add', {a = 2, b = 40})", tools=[add]).value == 42

    @tool
    def broken() -> str:
        """Fail."""
        raise ToolError("tool is down")

    message = run("local ok, e = pcall(Tool.call, 'broken') return e", tools=[broken]).value
    assert "ToolError: tool is down" in message


def test_from_script_without_tools_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "none.lua"
    path.write_text("return 1")
    with pytest.raises(ConfigError, match="defines no tools"):
        Toolset.from_script(path)


def test_bad_input_raises_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownEngineError, match="available: javascript, lua"):
        run("return 1", engine="cobol")
    bad = tmp_path / "x.txt"
    bad.write_text("")
    with pytest.raises(UnknownEngineError, match=r"extension '\.txt'"):
        run(bad)
    with pytest.raises(ConfigError, match="cannot read script"):
        run(tmp_path / "missing.lua")
    with pytest.raises(ConfigError, match="unknown script option"):
        run("return 1", timeout=3)
    with pytest.raises(ConfigError, match="source text or a path"):
        run(42)  # type: ignore[arg-type]


def test_permissions_from_flags_and_policy(tmp_path: Path) -> None:
    perms = Permissions.from_flags(
        [f"--allow-read={tmp_path}", "--allow-net=example.com,api.test", "--deny-models"]
    )
    assert perms.net == ("example.com", "api.test") and perms.models is False
    policy = perms.to_policy()
    assert policy.grants("fs.read") and not policy.grants("fs.write") and policy.grants("net")
    assert not policy.grants("process")
    assert not Permissions().to_policy().grants("fs.read")
    with pytest.raises(ConfigError, match="unknown permission flag"):
        Permissions.from_flags(["--allow-everything"])
    with pytest.raises(ConfigError, match="needs a value"):
        Permissions.from_flags(["--allow-read"])
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ConfigError, match="one workspace"):
        Permissions(read=(tmp_path,), write=(other,)).to_policy()


def test_a_failing_output_callback_stops_the_script_with_a_message() -> None:
    from llmkit.scripting import ScriptLimitError

    def broken(text: str) -> None:
        raise OSError("stdout closed")

    code = "local ok, err = pcall(print, 'x') return {ok, type(err)}"
    with pytest.raises(ScriptLimitError, match="OSError: stdout closed") as caught:
        run(code, output=broken)
    assert caught.value.limit == "output"
