"""The Workflow, Event, Memory and State bridges from Lua, their permissions, and the
examples in examples/lua."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmkit.scripting import Permissions, ScriptPermissionError, run
from tests.conftest import REPO


def test_a_workflow_loop_runs_while_a_script_function_says_so() -> None:
    value = run("""
    local checks = 0
    local flow = Workflow.create{name = "count", steps = {
      {id = "n", kind = "transform", value = "${ input.start }"},
      {id = "grow", kind = "loop", max_iterations = 20,
       ["while"] = function(ctx) checks = checks + 1; return ctx.state.n < ctx.input.stop end,
       steps = {{id = "inc", output = "n", fn = function(ctx) return ctx.state.n + 2 end}}},
    }}
    local result = flow:run({start = 1, stop = 8})
    return {n = result.state.n, outputs = result.state.grow, checks = checks}
    """).value
    assert value == {"n": 9, "outputs": [3, 5, 7, 9], "checks": 5}


def test_workflow_conditions_and_transforms_may_be_functions() -> None:
    value = run("""
    local flow = Workflow.create{name = "branch", steps = {
      {id = "size", kind = "transform", value = function(ctx) return #ctx.input.items end},
      {id = "pick", kind = "conditional", ["if"] = function(ctx) return ctx.state.size > 2 end,
       ["then"] = {{id = "many", kind = "transform", value = "many"}},
       ["else"] = {{id = "few", kind = "transform", value = "few"}}},
    }}
    return {flow:run({items = {1, 2, 3}}).output, flow:run({items = {1}}).output}
    """).value
    assert value == ["many", "few"]


def test_a_workflow_runs_an_agent_of_the_script() -> None:
    value = run("""
    Agent.create{name = "echo", model = Test.mock_model({"echoed"})}
    local flow = Workflow.create{name = "w", steps = {
      {id = "ask", kind = "agent", agent = "echo", prompt = "Say {{ input.word }}"}}}
    return flow:run({word = "hi"}).output
    """).value
    assert value == "echoed"


def test_a_durable_workflow_is_checkpointed_and_its_status_read(tmp_path: Path) -> None:
    grant = Permissions(write=(tmp_path,))
    value = run(
        f"""
        local store = {str(tmp_path / "runs.db")!r}
        local flow = Workflow.create{{name = "d", steps = {{
          {{id = "a", fn = function(ctx) return ctx.input.x + 1 end}}}}}}
        local result = flow:run({{x = 1}}, {{store = store, run_id = "r1"}})
        local again = Workflow.resume(flow, store, "r1")
        return {{result.output, Workflow.status(store, "r1").status, again.output}}
        """,
        permissions=grant,
    ).value
    assert value == [2, "completed", 2]


def test_a_script_handler_counts_events_including_an_agents() -> None:
    value = run("""
    local counts = {placed = 0, agent = 0}
    Event.on("order.placed", function() counts.placed = counts.placed + 1 end)
    Event.on("agent.**", function() counts.agent = counts.agent + 1 end)
    Event.on("order.placed", function(e) counts.big = e.payload.total end,
      {field = "payload.total", op = "gt", value = 100})
    for total = 50, 150, 50 do Event.emit("order.placed", {total = total}) end
    Agent.create{model = Test.mock_model({"ok"})}:run("hi")
    return counts
    """).value
    assert value["placed"] == 3
    assert value["big"] == 150
    assert value["agent"] >= 2  # at least the run's start and finish


def test_events_are_recorded_and_replayed_only_with_grants(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    source = f"""
    local rec = Event.record({str(path)!r}, "score")
    Event.emit("score", {{points = 2}}); Event.emit("other"); Event.emit("score", {{points = 5}})
    local kept = rec:stop()
    local total = 0
    Event.on("score", function(e) total = total + e.payload.points end)
    return {{kept, Event.replay({str(path)!r}), total}}
    """
    with pytest.raises(ScriptPermissionError, match="--allow-write"):
        run(source)
    assert not path.exists()
    value = run(source, permissions=Permissions(write=(tmp_path,))).value
    assert value == [2, 2, 7]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["payload"]["points"] for line in lines] == [2, 5]


def test_file_access_through_bridges_needs_a_grant_for_that_folder(tmp_path: Path) -> None:
    granted, other = tmp_path / "granted", tmp_path / "other"
    granted.mkdir()
    other.mkdir()
    (other / "agent.yaml").write_text("name: x\ninstructions: hi\n")
    grant = Permissions(read=(granted,), write=(granted,))
    for code in (
        f"Agent.load({str(other / 'agent.yaml')!r})",
        f"Workflow.load({str(other / 'flow.yaml')!r})",
        f"State.open({str(other / 'state.db')!r})",
        f"Memory.conversation('c', {{path = {str(other / 'chat.db')!r}}})",
        "Event.record('../escape.jsonl')",
    ):
        with pytest.raises(ScriptPermissionError, match="permission"):
            run(code, permissions=grant)
    assert sorted(p.name for p in other.iterdir()) == ["agent.yaml"]


def test_state_persists_across_runs_in_a_granted_file(tmp_path: Path) -> None:
    source = f"""
    State.open({str(tmp_path / "state.db")!r})
    local runs = State.get("runs", 0, "counter") + 1
    State.set("runs", runs, "counter")
    State.set("other", true)
    return {{runs, State.keys("counter")}}
    """
    grant = Permissions(write=(tmp_path,))
    assert run(source, permissions=grant).value == [1, ["runs"]]
    assert run(source, permissions=grant).value == [2, ["runs"]]


def test_conversations_persist_in_a_granted_file(tmp_path: Path) -> None:
    source = f"""
    local chat = Memory.conversation("support", {{path = {str(tmp_path / "chat.db")!r}}})
    chat:add(ARGS[1])
    local texts = {{}}
    for _, m in ipairs(chat:messages()) do texts[#texts + 1] = m.parts[1].text end
    return texts
    """
    grant = Permissions(write=(tmp_path,))
    assert run(source, permissions=grant, args=["one"]).value == ["one"]
    assert run(source, permissions=grant, args=["two"]).value == ["one", "two"]


def test_vector_memory_recalls_by_meaning() -> None:
    value = run("""
    Memory.remember("facts", {"The Eiffel Tower is in Paris.", "Cats sleep a lot.",
      "Lua was made in Brazil."})
    local hits = Memory.recall("facts", "Which country created Lua?", {k = 2, mode = "vector"})
    return {hits[1].text, #hits}
    """).value
    assert value == ["Lua was made in Brazil.", 2]


def test_a_hook_returning_nonsense_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    value = run("""
    Hook.register("model.request.before", function() return {whatever = 1} end)
    return Agent.create{model = Test.mock_model({"still answered"})}:run("q")
    """).value
    assert value == "still answered"
    assert "Hook.modify(value)" in caplog.text


EXAMPLES = sorted(
    p.name for p in (REPO / "examples" / "lua").glob("*.lua") if p.name != "agent.lua"
)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_lua_example_runs(name: str) -> None:
    run(REPO / "examples" / "lua" / name, args=["hello"] if name == "word_tools.lua" else [])
