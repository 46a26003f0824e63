"""``llmkit repl --engine lua|js``: one sandboxed script environment, a line at a time.

Each line runs in the same environment (Lua globals and JavaScript ``var``, function and
global declarations persist), under the same permissions and with a fresh wall clock.
An expression's value is printed as JSON; an error is printed and the session goes on.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scripting import Script, ScriptOptions

__all__ = ["REPL_SOURCES", "run_repl"]

REPL_SOURCES: dict[str, str] = {
    "lua": """
function __repl(line)
  local chunk = load("return " .. line, "=repl")
  if not chunk then
    local problem
    chunk, problem = load(line, "=repl")
    if not chunk then error(problem, 0) end
  end
  return chunk()
end
""",
    "javascript": """
const evaluate = eval;  // indirect: runs in the global scope, so declarations persist
const STATEMENT = new RegExp(
  "^\\\\s*(async\\\\s+function|function|class|var|let|const|if|for|while|do|try|switch|throw)\\\\b");
function global(line) {
  // let/const/class at the top of a line would stay local to this evaluation.
  return line.replace(/^\\s*(let|const)\\s/, "var ")
    .replace(/^\\s*class\\s+([\\w$]+)/, "var $1 = class $1");
}
export async function repl(line) {
  let expression = null;
  if (!STATEMENT.test(line)) {
    try { expression = evaluate("(async () => (" + line + "\\n))"); } catch (e) {}
  }
  if (expression !== null) return await expression();
  if (/\\bawait\\b/.test(line)) return await evaluate("(async () => {" + line + "\\n})")();
  return evaluate(global(line));
}
""",
}
"""The function each engine's session evaluates lines with."""
_ENTRY = {"lua": "__repl", "javascript": "repl"}


def run_repl(options: ScriptOptions) -> int:
    """Read lines from standard input until ``.exit`` or its end; returns the exit code."""
    from ..scripting import load_script
    from ..scripting.engines import canonical_engine

    engine = canonical_engine(options.engine or "lua")
    if engine not in REPL_SOURCES:
        known = ", ".join(sorted(REPL_SOURCES))
        print(f"llmkit repl: no REPL for engine {engine!r}; known: {known}", file=sys.stderr)
        return 1
    script = asyncio.run(load_script(REPL_SOURCES[engine], options, engine=engine))
    try:
        _loop(script, _ENTRY[engine], prompt=f"{engine}> " if sys.stdin.isatty() else "")
    finally:
        script.close()
    return 0


def _loop(script: Script, entry: str, *, prompt: str) -> None:
    from ..scripting import ScriptError

    while True:
        try:
            line = input(prompt)
        except EOFError:
            return
        if line.strip() == ".exit":
            return
        if not line.strip():
            continue
        try:
            value = script.call_sync(entry, line)
        except ScriptError as exc:
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            continue
        if value is not None:
            print(json.dumps(value, ensure_ascii=False, default=repr), flush=True)
