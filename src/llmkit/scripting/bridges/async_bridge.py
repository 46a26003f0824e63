"""``Async``: several bridge calls at once.

``Async.all`` (written in each language's prelude) runs functions side by side — Lua
coroutines, JavaScript promises — and their bridge calls reach the host together;
``Async.call_all`` is the host call under it, usable directly.
"""

from __future__ import annotations

from typing import Any

from ..errors import BridgeArgumentError, host_error_message
from ..registry import Bridge, PreludeFunction, bridge_method, camel_case

__all__ = ["AsyncBridge"]


class AsyncBridge(Bridge):
    """Bridge calls run concurrently on the host."""

    name = "Async"
    summary = "Run several bridge calls at once (Async.all over functions, Async.call_all)."
    prelude = (
        PreludeFunction(
            signatures={
                "lua": "Async.all(fn, ...)",
                "javascript": "Async.all(...items)",
            },
            typescript=(
                "all(...items: Array<(() => unknown) | Promise<unknown>>"
                " | [Array<(() => unknown) | Promise<unknown>>]): Promise<any[]>"
            ),
            summary=(
                "Run script functions side by side (or a list of them; JavaScript also "
                "takes promises): the bridge calls they make meanwhile reach the host "
                "together, as one `Async.call_all`. Every function runs to its end; then "
                "the first error, by position, is raised, else the results come back in "
                "order. Each function runs as a coroutine (Lua) or an async function "
                "(JavaScript) of the run, under the run's limits."
            ),
            examples={
                "lua": (
                    "local out = Async.all(function() return JSON.encode({1}) end,\n"
                    "                      function() return JSON.encode({2}) end)\n"
                    'assert(out[1] == "[1]" and out[2] == "[2]")'
                ),
                "javascript": (
                    "const out = await Async.all(() => JSON.encode([1]), "
                    "async () => JSON.encode([2]));\n"
                    'assert(out[0] === "[1]" && out[1] === "[2]");'
                ),
            },
        ),
    )

    def _index(self) -> dict[str, int]:
        """Method indexes by qualified name, in both spellings (``Agent.as_tool``,
        ``Agent.asTool``); this bridge's own methods are left out."""
        index: dict[str, int] = {}
        for method in self.session.registry.methods():
            if method.bridge != self.name:
                index[method.qualified_name] = method.index
                index[f"{method.bridge}.{camel_case(method.name)}"] = method.index
        return index

    @bridge_method(returns="array")
    def call_all(self, calls: list[Any]) -> list[dict[str, Any]]:
        """Call several bridge methods at once and wait for all of them; returns one
        ``{ok = true, value = ...}`` or ``{ok = false, error = message}`` per call, in
        order. A limit the calls reach still ends the script.

        Args:
            calls: A list of ``{method, args}``: the method's name (``"Agent.run"``) and
                its arguments as a list.

        Example (lua):
            local out = Async.call_all({{"JSON.encode", {{1}}}, {"JSON.decode", {"oops"}}})
            assert(out[1].ok and out[1].value == "[1]" and not out[2].ok)
        """
        index = self._index()
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for position, call in enumerate(calls, 1):
            if not (isinstance(call, list | tuple) and len(call) in (1, 2)):
                raise BridgeArgumentError(
                    f"Async.call_all: call {position} must be {{method, args}}, got {call!r}"
                )
            name, args = call[0], call[1] if len(call) == 2 else []
            if not isinstance(name, str) or name not in index:
                raise BridgeArgumentError(
                    f"Async.call_all: call {position} names no bridge method: {name!r}"
                )
            if isinstance(args, dict):
                args = _positional(args)  # a Lua table with holes (nil arguments) or `n`
            if not isinstance(args, list | tuple):
                raise BridgeArgumentError(
                    f"Async.call_all: the args of call {position} must be a list, got {args!r}"
                )
            batch.append((index[name], tuple(args)))
        results: list[dict[str, Any]] = []
        for ok, value in self.session.invoke_all(batch):
            if ok:
                results.append({"ok": True, "value": value})
            else:
                self.session.remember(value)
                results.append({"ok": False, "error": host_error_message(value)})
        return results


def _positional(args: dict[Any, Any]) -> list[Any]:
    """``{1: a, 3: c, "n": 3}`` -> ``[a, None, c]``.

    Raises:
        BridgeArgumentError: A key is neither a position nor ``n``.
    """
    positions = [key for key in args if key != "n"]
    if not all(type(key) is int and key >= 1 for key in positions):
        raise BridgeArgumentError(f"Async.call_all: args must be a list, got {args!r}")
    count = args.get("n")
    size = count if type(count) is int and count >= 0 else max(positions, default=0)
    return [args.get(position) for position in range(1, size + 1)]
