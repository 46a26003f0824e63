"""Attacks on the JavaScript sandbox. Each test fails if the attack succeeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmkit.events import Event, EventBus
from llmkit.scripting import (
    SCRIPT_SANDBOX_DENIED,
    EnginePool,
    HostSession,
    Permissions,
    ScriptPermissionError,
    ScriptRuntimeError,
    run,
)
from llmkit.tools import tool

FORBIDDEN = ["std", "os", "require", "process", "fetch"]
# Object.prototype.toString tags of the built-ins a script may find: nothing else is there.
PLAIN_KINDS = [
    "Object",
    "Function",
    "AsyncFunction",
    "Array",
    "Math",
    "JSON",
    "Reflect",
    "Atomics",
    "Error",
    "Symbol",
    "Promise",
    "Date",
    "RegExp",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Number",
    "String",
    "Boolean",
    "BigInt",
    "WeakRef",
    "FinalizationRegistry",
    "Iterator",
    "Generator",
    "AsyncGenerator",
    "GeneratorFunction",
    "AsyncGeneratorFunction",
    "Performance",
    "DisposableStack",
    "AsyncDisposableStack",
    "Arguments",
    "global",
    "DOMException",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "BigInt64Array",
    "BigUint64Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
]


def js(code: str, **options: object) -> object:
    return run(code, engine="javascript", **options).value  # type: ignore[arg-type]


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize("name", FORBIDDEN)
def test_forbidden_global_is_absent_and_audited(name: str) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(SCRIPT_SANDBOX_DENIED, seen.append)
    assert js(f"return typeof {name} === 'undefined' && globalThis.{name} === undefined", bus=bus)
    assert [e.payload["detail"] for e in seen] == [name, name]
    assert seen[0].payload == {"engine": "javascript", "operation": "global", "detail": name}


@pytest.mark.usefixtures("both_modes")
def test_forbidden_global_cannot_be_redefined() -> None:
    with pytest.raises(ScriptRuntimeError, match="TypeError"):
        js("Object.defineProperty(globalThis, 'require', {value: () => 1}); return require")


@pytest.mark.usefixtures("both_modes")
def test_no_python_object_is_reachable() -> None:
    # Walk everything reachable from the global object: only plain JavaScript values, and
    # no function whose source is not JavaScript or a native built-in.
    code = (
        f"const PLAIN = {json.dumps(PLAIN_KINDS)};"
        + """
    const seen = new Set(), strange = [];
    function walk(value, path) {
      if (value === null || (typeof value !== "object" && typeof value !== "function")) return;
      if (seen.has(value)) return;
      seen.add(value);
      const tag = Object.prototype.toString.call(value);
      if (!PLAIN.includes(tag.slice(8, -1))) strange.push(path + " " + tag);
      for (const key of Reflect.ownKeys(value)) {
        const d = Object.getOwnPropertyDescriptor(value, key);
        if (d && "value" in d) walk(d.value, path + "." + String(key));
      }
      walk(Object.getPrototypeOf(value), path + ".__proto__");
    }
    walk(globalThis, "globalThis");
    return strange;
    """
    )
    assert js(code) == []


@pytest.mark.usefixtures("both_modes")
def test_bridge_functions_are_plain_javascript() -> None:
    code = (
        "return [typeof Tool.call, String(Tool.call).includes('request('), Tool.call.__globals__]"
    )
    assert js(code) == ["function", True, None]


def test_prototype_pollution_does_not_reach_the_next_pooled_run() -> None:
    pool = EnginePool("javascript", size=1)
    engine = pool.acquire()
    poison = """
    Object.prototype.polluted = "yes";
    Array.prototype.map = function () { return ["pwned"]; };
    Object.defineProperty(Object.prototype, "then", {get() { for (;;) {} }, configurable: true});
    String.prototype.toUpperCase = () => "pwned";
    globalThis.secret = "left behind";
    JSON.parse = () => "pwned";
    return "a".toUpperCase();
    """
    first = HostSession(engine="javascript")
    assert (
        engine.on_thread(lambda: engine.execute(poison, chunk_name="a", folder=None, session=first))
        == "pwned"
    )
    pool.release(engine)
    again = pool.acquire()
    assert again is engine
    check = """
    return [({}).polluted === undefined, [1].map(x => x + 1)[0], "a".toUpperCase(),
            typeof secret, JSON.parse("[1]")[0], await JSON.decode('{"x": 1}')]
    """
    second = HostSession(engine="javascript")
    assert again.on_thread(
        lambda: again.execute(check, chunk_name="b", folder=None, session=second)
    ) == [True, 2, "A", "undefined", 1, {"x": 1}]
    pool.close()


@pytest.mark.usefixtures("both_modes")
def test_a_then_getter_on_object_prototype_cannot_stall_the_host() -> None:
    from llmkit.scripting import Limits, ScriptTimeout

    code = """
    Object.defineProperty(Object.prototype, "then", {get() { for (;;) {} }});
    return await JSON.decode('{"a": 1}');
    """
    with pytest.raises(ScriptTimeout):
        js(code, limits=Limits(timeout=0.5))


@tool(capabilities=["fs.read"])
def read_file(path: str) -> str:
    """Read a file."""
    return Path(path).read_text()


@tool(capabilities=["net"])
def fetch_url(url: str) -> str:
    """Fetch a URL."""
    return url


@tool(capabilities=["process"])
def shell(command: str) -> str:
    """Run a command."""
    return command


@pytest.mark.usefixtures("both_modes")
def test_file_network_and_process_tools_need_permissions(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    calls = {
        "read_file": {"path": str(secret)},
        "fetch_url": {"url": "http://127.0.0.1:9/"},
        "shell": {"command": "id"},
    }
    for name, args in calls.items():
        code = f"return await Tool.call({name!r}, {json.dumps(args)})"
        with pytest.raises(ScriptPermissionError, match="permission"):
            js(code, tools=[read_file, fetch_url, shell])
    granted = Permissions(read=(tmp_path,))
    code = f"return await Tool.call('read_file', {{path: {str(secret)!r}}})"
    assert js(code, tools=[read_file], permissions=granted) == "top secret"


@pytest.mark.usefixtures("both_modes")
def test_permission_error_is_catchable_and_names_the_host_error() -> None:
    code = """
    try { await Tool.call("fetch_url", {url: "x"}); return "reached"; }
    catch (e) { return [e instanceof Error, e.message]; }
    """
    caught, message = js(code, tools=[fetch_url])  # type: ignore[misc]
    assert caught is True and message.startswith("PermissionDenied:") and "--allow-net" in message


@pytest.mark.usefixtures("both_modes")
def test_imports_cannot_leave_the_module_folders(tmp_path: Path) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(SCRIPT_SANDBOX_DENIED, seen.append)
    (tmp_path / "outside.js").write_text("export const secret = 1;\n")
    folder = tmp_path / "scripts"
    folder.mkdir()
    for specifier in ("../outside.js", "/etc/passwd", "./missing.js"):
        script = folder / "main.js"
        script.write_text(f'import {{secret}} from "{specifier}";\nreturn secret;\n')
        with pytest.raises(ScriptRuntimeError, match="import"):
            run(script, bus=bus)
    assert [e.payload["operation"] for e in seen] == ["import"] * 3
