"""The Agent, Provider, Hook and Test bridges, driven from Lua: effects, not registrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.scripting import Permissions, ScriptPermissionError, ScriptRuntimeError, run
from llmkit.scripting.bridges.testing import TestBridge
from llmkit.scripting.run import load_script
from llmkit.sync import run_sync
from tests.conftest import REPO


def _requests_of(source: str) -> list[list[str]]:
    """Run `source` kept loaded; the texts of the last message of each mock request."""

    async def go() -> list[list[str]]:
        async with await load_script(source) as script:
            bridge = script.session.bridge("Test")
            assert isinstance(bridge, TestBridge)
            return [
                [request.messages[-1].text for request in mock.requests]
                for mock in bridge.mocks.values()
            ]

    return run_sync(go())


def test_a_script_hook_changes_what_the_model_receives() -> None:
    sent = _requests_of("""
    Hook.register("model.request.before", function(ctx)
      local messages = ctx.value
      messages[#messages].parts[1].text = "rewritten by the hook"
      return Hook.modify(messages)
    end)
    local agent = Agent.create{model = Test.mock_model({"fine"})}
    assert(agent:run("the original question") == "fine")
    """)
    assert sent == [["rewritten by the hook"]]


def test_hook_skip_answers_without_the_model_and_cancel_stops_the_run() -> None:
    skipped = run("""
    local handle = Hook.register("model.request.before", function() return Hook.skip("cached") end)
    local answer = Agent.create{model = Test.mock_model({})}:run("q")
    handle:unregister()
    Hook.register("model.request.before", function() return Hook.cancel("over budget") end)
    local ok, err = pcall(Agent.run, Agent.create{model = Test.mock_model({"x"})}, "q")
    return {answer, ok, err}
    """).value
    assert skipped[:2] == ["cached", False]
    assert "over budget" in skipped[2]


def test_an_agent_calls_a_script_tool_while_the_script_waits_for_it() -> None:
    value = run("""
    local model = Test.mock_model({{tool = "twice", args = {n = 21}}, "done"})
    local calls = 0
    local agent = Agent.create{model = model, tools = {{name = "twice", description = "x2",
      params = {type = "object"}, fn = function(args) calls = calls + 1; return args.n * 2 end}}}
    local answer = agent:run("go")
    local requests = Test.mock_requests(model)
    local result = requests[2][#requests[2]].parts[1]
    return {answer, calls, result.content}
    """).value
    assert value == ["done", 1, "42"]


def test_agent_structured_output_stream_and_as_tool() -> None:
    value = run("""
    local schema = {type = "object", properties = {city = {type = "string"}}, required = {"city"}}
    local model = Test.mock_model({{tool = "final_result", args = {city = "Paris"}}})
    local structured = Agent.create{model = model, output = schema}:run("where?")
    local kinds = {}
    local streamed = Agent.create{name = "s", model = Test.mock_model({"one two three"})}
    local answer = streamed:stream("hi", function(event) kinds[event.name] = true end)
    local tool = streamed:as_tool({name = "ask_s"})
    return {structured.city, answer, kinds["model.text.delta"] == true, tool.name,
      Agent.get("s").name, #Agent.list()}
    """).value
    assert value == ["Paris", "one two three", True, "ask_s", "s", 2]


def test_agent_create_names_bad_keys() -> None:
    with pytest.raises(ScriptRuntimeError, match="unknown key"):
        run("Agent.create{modle = 'x'}")


def test_model_calls_can_be_denied() -> None:
    denied = Permissions(models=False)
    with pytest.raises(ScriptPermissionError, match="model"):
        run("return Agent.create{model = Test.mock_model({'x'})}:run('q')", permissions=denied)
    with pytest.raises(ScriptPermissionError, match="model"):
        run("return Provider.complete(Test.mock_model({'x'}), 'q')", permissions=denied)


def test_provider_complete_and_stream() -> None:
    value = run("""
    local model = Test.mock_model({"first reply", "a streamed reply"})
    local reply = Provider.complete(model, {{role = "user", content = "hi"}}, {system = "Be kind"})
    local pieces = {}
    local streamed = Provider.stream(model, "again", function(d) pieces[#pieces + 1] = d end)
    local first_request = Test.mock_requests(model)[1]
    return {reply.text, streamed.text, table.concat(pieces), #pieces > 1,
      first_request[1].role, first_request[1].parts[1].text}
    """).value
    assert value == [
        "first reply",
        "a streamed reply",
        "a streamed reply",
        True,
        "system",
        "Be kind",
    ]


def test_assertions_fail_with_what_was_expected() -> None:
    with pytest.raises(ScriptRuntimeError, match=r"expected 2, got 3"):
        run("Test.equal(3, 2)")
    with pytest.raises(ScriptRuntimeError, match="does not contain"):
        run("Test.contains({'a'}, 'b')")
    with pytest.raises(ScriptRuntimeError, match="expected an error"):
        run("Test.raises(function() end)")


def _llmkit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_llmkit_test_runs_the_example_suites() -> None:
    done = _llmkit("test", "examples/lua/tests.lua", "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  agent / calls a script tool" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("OK: 5 passed")


def test_llmkit_test_reports_a_failing_case_and_exits_1(tmp_path: Path) -> None:
    script = tmp_path / "suite.lua"
    script.write_text("""
    Test.suite("agent", {
      right = function()
        Test.equal(Agent.create{model = Test.mock_model({"yes"})}:run("?"), "yes")
      end,
      wrong = function()
        Test.equal(Agent.create{model = Test.mock_model({"no"})}:run("?"), "yes")
      end,
    })
    """)
    done = _llmkit("test", str(script))
    assert done.returncode == 1
    assert "FAIL  agent / wrong" in done.stdout
    assert "expected 'yes', got 'no'" in done.stdout
    assert "1 passed, 1 failed" in done.stdout


def test_llmkit_test_without_cases_fails(tmp_path: Path) -> None:
    script = tmp_path / "empty.lua"
    script.write_text("return 1")
    done = _llmkit("test", str(script))
    assert done.returncode == 1 and "no test cases" in done.stdout


@pytest.mark.slow
def test_the_agent_example_answers_with_the_local_model() -> None:
    done = _llmkit("run", "examples/lua/agent.lua", "What is the capital of France?", timeout=600)
    assert done.returncode == 0, done.stderr
    answer = done.stdout.splitlines()[0]
    assert answer.strip() and "Paris" in answer
