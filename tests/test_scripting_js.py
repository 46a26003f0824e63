"""The JavaScript engine: running scripts, values, modules, console, errors, the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.scripting import (
    ScriptRuntimeError,
    ScriptSyntaxError,
    ScriptValueError,
    engine_for_path,
    load_script,
    run,
)
from tests.conftest import REPO


def js(code: str, **options: object) -> object:
    return run(code, engine="javascript", **options).value  # type: ignore[arg-type]


def test_js_files_and_the_js_alias_pick_the_engine(tmp_path: Path) -> None:
    assert engine_for_path("tool.js") == "javascript"
    script = tmp_path / "answer.js"
    script.write_text("return 6 * 7;\n")
    assert run(script).value == 42
    assert run("return 1", engine="js").value == 1


def test_values_cross_both_ways() -> None:
    code = """
    const back = await JSON.decode(await JSON.encode(ARGS));
    return {back, nothing: null, float: 2.5, big: 2 ** 40, nested: [[1], {a: [true]}]};
    """
    args = {"text": "héllo", "n": 3, "list": [1, None, "x"]}
    assert js(code, args=args) == {
        "back": args,
        "nothing": None,
        "float": 2.5,
        "big": 2**40,
        "nested": [[1], {"a": [True]}],
    }


def test_integers_a_javascript_number_cannot_hold_are_refused() -> None:
    with pytest.raises(ScriptValueError, match="does not fit"):
        js("return 1", args=[2**60])


def test_bridge_calls_can_run_concurrently() -> None:
    code = "return await Promise.all([1, 2, 3].map(n => JSON.encode({n})));"
    assert js(code) == ['{"n": 1}', '{"n": 2}', '{"n": 3}']


def test_unawaited_calls_still_happen() -> None:
    code = "Tool.define('later', 'Defined without await', {type: 'object'}, () => 1); return 0"
    result = run(code, engine="javascript")
    assert [tool.name for tool in result.tools] == ["later"]


def test_print_goes_to_the_output_and_console_to_logging(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="llmkit.script"):
        result = run(
            "print('found', 2, {a: 1}); console.warn('careful', [1]); console.debug('x')",
            engine="javascript",
        )
    assert result.output == 'found 2 {"a":1}\n'
    records = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.WARNING, "javascript console: careful [1]") in records
    assert (logging.DEBUG, "javascript console: x") in records


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(ScriptSyntaxError) as caught:
        js("const a = 1;\nconst = 2;\n")
    assert caught.value.line == 2 and caught.value.engine == "javascript"


def test_runtime_errors_carry_line_and_script_traceback() -> None:
    with pytest.raises(ScriptRuntimeError) as caught:
        js("function inner() { throw new TypeError('bad value'); }\n\ninner();\n")
    error = caught.value
    assert error.message == "TypeError: bad value" and error.line == 1
    assert "inner" in error.traceback and "start" not in error.traceback


def test_host_errors_are_catchable_and_typed_when_uncaught() -> None:
    code = "try { await JSON.decode('{bad'); } catch (e) { return e.message; }"
    assert str(js(code)).startswith("ScriptValueError: JSON.decode: invalid JSON")
    with pytest.raises(ScriptRuntimeError) as caught:
        js("await JSON.decode('{bad')")
    assert isinstance(caught.value.host_error, ScriptValueError)


def test_imports_from_the_script_folder_and_module_paths(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "strings.js").write_text(
        'import {twice} from "./numbers.js";\n'
        "export function shout(text) { return text.toUpperCase() + '!'; }\n"
        "export const answer = twice(21);\n"
        "export default function greet(name) { return 'hello ' + name; }\n"
    )
    (lib / "numbers.js").write_text("export function twice(x) { return x * 2; }\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "config.js").write_text(
        "export const mode = 'shared';\nexport * from './extra.js';\n"
    )
    (shared / "extra.js").write_text("const hidden = 5;\nexport {hidden as five};\n")
    main = tmp_path / "main.js"
    main.write_text(
        'import greet, {shout, answer} from "./lib/strings.js";\n'
        'import * as numbers from "./lib/numbers.js";\n'
        'import {mode, five} from "config";\n'
        "return [shout('a'), answer, greet('b'), numbers.twice(2), mode, five];\n"
    )
    assert run(main, module_paths=(shared,)).value == ["A!", 42, "hello b", 4, "shared", 5]


def test_a_module_runs_once_however_often_it_is_imported(tmp_path: Path) -> None:
    (tmp_path / "counter.js").write_text("print('loaded');\nexport const n = 1;\n")
    (tmp_path / "a.js").write_text('export {n} from "./counter.js";\n')
    main = tmp_path / "main.js"
    main.write_text(
        'import {n} from "./counter.js";\nimport {n as m} from "./a.js";\nreturn n + m;\n'
    )
    result = run(main)
    assert result.value == 2 and result.output == "loaded\n"


def test_exported_functions_and_script_tools_are_callable_from_python() -> None:
    async def main() -> None:
        script = await load_script(
            "export function greet(name) { return 'hello ' + name; }\n"
            "export async function encode(value) { return await JSON.encode(value); }\n"
            "await Tool.define('shout', 'Upper', {type: 'object'}, a => a.text.toUpperCase());\n",
            engine="javascript",
        )
        async with script:
            assert await script.call("greet", "Ada") == "hello Ada"
            assert await script.call("encode", {"a": [1]}) == '{"a": [1]}'
            (shout,) = script.tools
            assert await shout.call(None, {"text": "hi"}) == "HI"  # type: ignore[arg-type]
            with pytest.raises(ScriptValueError, match="no global function"):
                await script.call("missing")

    asyncio.run(main())


def test_functions_handed_to_the_host_come_back_callable() -> None:
    code = """
    const info = await Tool.define("twice", "Doubles", {type: "object"}, a => a.n * 2);
    return [info.name, await Tool.call("twice", {n: 21})];
    """
    assert js(code) == ["twice", 42]


def llmkit(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        input=stdin,
    )


def test_cli_exec_and_run_javascript() -> None:
    done = llmkit("exec", "--engine", "js", "-e", "print('hi'); return await JSON.decode('[1]')")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["hi", "[1]"]
    looping = llmkit("exec", "--engine", "js", "-e", "for (;;) {}", "--timeout", "0.3")
    assert looping.returncode == 1 and "ScriptTimeout" in looping.stderr


@pytest.mark.parametrize(
    ("engine", "lines", "expected"),
    [
        ("lua", ["x = 40", "x + 2", "print('hi')", "error('boom')", "x"], ["42", "hi", "40"]),
        (
            "js",
            ["var x = 40", "x + 2", "function f(a) { return a * 2 }", "f(21)", "throw 1", "x"],
            ["42", "42", "40"],
        ),
    ],
)
def test_repl_keeps_one_environment(engine: str, lines: list[str], expected: list[str]) -> None:
    done = llmkit("repl", "--engine", engine, stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected
    assert "ScriptRuntimeError" in done.stderr


def test_example_scripts_run() -> None:
    for path in sorted((REPO / "examples" / "js").glob("*.js")):
        if path.name == "agent.js":
            continue
        done = llmkit("run", str(path.relative_to(REPO)), "hello world")
        assert done.returncode == 0, (path.name, done.stderr)
        assert json.loads(done.stdout.splitlines()[-1]) is not None


def test_long_concatenated_strings_reach_the_host() -> None:
    # quickjs builds long concatenations as ropes, which the binding cannot read.
    code = "for (let i = 0; i < 3000; i++) log.debug(i); let s = ''; "
    code += "for (let i = 0; i < 5000; i++) s += 'ab'; print(s); return s"
    result = run(code, engine="javascript")
    assert result.value == "ab" * 5000 and result.output == "ab" * 5000 + "\n"
