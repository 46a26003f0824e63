"""``Test``: test suites written in the script, assertions, scripted models and spies.

``llmkit test FILE`` runs the script, then every case it declared, and reports like a
test runner (see `llmkit.cli.script_test`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import LLMKitError
from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError, ScriptError
from ..registry import Bridge, bridge_method
from .conversions import handle_id

if TYPE_CHECKING:
    from ...testing import ScriptedModel
    from ..host import HostSession

__all__ = ["CaseResult", "ScriptAssertionError", "TestBridge", "mock_model_named"]

MOCK_PREFIX = "mock:"


class ScriptAssertionError(LLMKitError):
    """A ``Test`` assertion failed (the message says what was expected and what came)."""


@dataclass(slots=True)
class _Case:
    suite: str
    name: str
    fn: ScriptFunction


@dataclass(slots=True, kw_only=True)
class CaseResult:
    """One case's outcome: ``passed`` with the time it took, or the error it raised."""

    suite: str
    name: str
    passed: bool
    seconds: float
    error: str = ""


@dataclass(slots=True)
class _Spy:
    fn: ScriptFunction | None
    calls: list[list[Any]] = field(default_factory=list)


def mock_model_named(session: HostSession, name: str | None) -> ScriptedModel | None:
    """The scripted model ``Test.mock_model`` gave this run under `name`, if any."""
    if name is None or not name.startswith(MOCK_PREFIX):
        return None
    bridge = session.bridge("Test")
    assert isinstance(bridge, TestBridge)
    model = bridge.mocks.get(name)
    if model is None:
        raise BridgeArgumentError(f"no mock model {name!r} in this run (see Test.mock_model)")
    return model


def _show(value: Any) -> str:
    return "nil" if value is None else repr(value)


class TestBridge(Bridge):
    """Suites of cases, assertions, scripted models for agents, and spies."""

    __test__ = False  # not a pytest class
    name = "Test"
    summary = "Write test suites in the script: cases, assertions, mock models, spies."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self.mocks: dict[str, ScriptedModel] = {}
        self.cases: list[_Case] = []
        self._spies: dict[str, _Spy] = {}

    # -- suites ---------------------------------------------------------------------------

    @bridge_method(returns="integer")
    def suite(self, name: str, cases: dict[str, Any] | list[Any]) -> int:
        """Declare a suite: a table of ``name = function`` cases (run in name order) or a
        list of ``{name = ..., fn = ...}`` (run in list order). Returns how many cases.

        Args:
            name: The suite's name.
            cases: Its cases.

        Example (lua):
            Test.suite("math", {adds = function() Test.equal(1 + 1, 2) end})
            assert(Test.run().passed == 1)
        """
        pairs = (
            sorted(cases.items())
            if isinstance(cases, dict)
            else [(c.get("name"), c.get("fn")) for c in cases if isinstance(c, dict)]
        )
        for case_name, fn in pairs:
            self.case(name, str(case_name), fn)
        return len(pairs)

    @bridge_method(returns="nil")
    def case(self, suite: str, name: str, fn: ScriptFunction | None) -> None:
        """Add one case to a suite (the suite is created on first use).

        Args:
            suite: The suite's name.
            name: The case's name.
            fn: The case; it passes unless it raises.

        Example (lua):
            Test.case("strings", "upper", function() Test.equal(("a"):upper(), "A") end)
            assert(Test.run().total == 1)
        """
        if not isinstance(fn, ScriptFunction):
            raise BridgeArgumentError(f"Test.case: case {name!r} of {suite!r} is not a function")
        self.cases.append(_Case(suite, name, fn))

    @bridge_method(returns="table")
    def run(self, filter: str | None = None) -> dict[str, Any]:
        """Run the declared cases (those whose ``suite/name`` contains `filter`); returns
        ``{passed, failed, total, results = {{suite, name, passed, seconds, error}, ...}}``.

        Args:
            filter: Text the case's ``suite/name`` must contain.

        Example (lua):
            Test.suite("s", {ok = function() end, bad = function() error("boom") end})
            local report = Test.run()
            assert(report.passed == 1 and report.failed == 1)
            assert(report.results[1].error:find("boom"))
        """
        results = [self.run_case(case) for case in self.selected(filter)]
        passed = sum(r.passed for r in results)
        return {
            "passed": passed,
            "failed": len(results) - passed,
            "total": len(results),
            "results": results,
        }

    def selected(self, filter: str | None) -> list[_Case]:
        """The declared cases matching `filter` (all when None)."""
        return [c for c in self.cases if not filter or filter in f"{c.suite}/{c.name}"]

    def run_case(self, case: _Case) -> CaseResult:
        """Run one case and say how it went."""
        started = time.perf_counter()
        try:
            case.fn()
        except ScriptError as exc:
            seconds = time.perf_counter() - started
            return CaseResult(
                suite=case.suite, name=case.name, passed=False, seconds=seconds, error=str(exc)
            )
        seconds = time.perf_counter() - started
        return CaseResult(suite=case.suite, name=case.name, passed=True, seconds=seconds)

    # -- assertions -------------------------------------------------------------------------

    @bridge_method(returns="nil")
    def equal(self, actual: Any = None, expected: Any = None, message: str | None = None) -> None:
        """Fail unless `actual` equals `expected` (tables compared by content).

        Args:
            actual: The value the code gave.
            expected: The value it should be.
            message: Said first when the assertion fails.

        Example (lua):
            Test.equal({1, {a = 2}}, {1, {a = 2}})
        """
        if actual != expected:
            self._fail(message, f"expected {_show(expected)}, got {_show(actual)}")

    @bridge_method(returns="nil")
    def not_equal(
        self, actual: Any = None, unexpected: Any = None, message: str | None = None
    ) -> None:
        """Fail if `actual` equals `unexpected`.

        Args:
            actual: The value the code gave.
            unexpected: The value it must not be.
            message: Said first when the assertion fails.

        Example (lua):
            Test.not_equal("a", "b")
        """
        if actual == unexpected:
            self._fail(message, f"expected anything but {_show(unexpected)}")

    @bridge_method(returns="nil")
    def is_true(self, value: Any = None, message: str | None = None) -> None:
        """Fail unless `value` is ``true``.

        Args:
            value: The value to check.
            message: Said first when the assertion fails.

        Example (lua):
            Test.is_true(1 < 2)
        """
        self._expect_is(value, True, message)

    @bridge_method(returns="nil")
    def is_false(self, value: Any = None, message: str | None = None) -> None:
        """Fail unless `value` is ``false``.

        Args:
            value: The value to check.
            message: Said first when the assertion fails.

        Example (lua):
            Test.is_false(1 > 2)
        """
        self._expect_is(value, False, message)

    @bridge_method(returns="nil")
    def is_nil(self, value: Any = None, message: str | None = None) -> None:
        """Fail unless `value` is nil.

        Args:
            value: The value to check.
            message: Said first when the assertion fails.

        Example (lua):
            Test.is_nil(({}).missing)
        """
        self._expect_is(value, None, message)

    @bridge_method(returns="nil")
    def contains(self, container: Any, item: Any, message: str | None = None) -> None:
        """Fail unless `container` holds `item`: a substring of a string, an element of a
        list, a key of a table.

        Args:
            container: A string or a table.
            item: What it must hold.
            message: Said first when the assertion fails.

        Example (lua):
            Test.contains("hello world", "world")
            Test.contains({"a", "b"}, "b")
        """
        if isinstance(container, str):
            found = isinstance(item, str) and item in container
        elif isinstance(container, list | dict):
            found = item in container
        else:
            found = False
        if not found:
            self._fail(message, f"{_show(container)} does not contain {_show(item)}")

    @bridge_method(returns="string")
    def raises(self, fn: ScriptFunction, pattern: str | None = None) -> str:
        """Fail unless calling `fn` raises an error (whose message contains `pattern`,
        when given); returns the error message.

        Args:
            fn: The code that must fail.
            pattern: Text the error message must contain.

        Example (lua):
            local message = Test.raises(function() error("no such user") end, "no such")
            assert(message:find("no such user"))
        """
        try:
            fn()
        except ScriptError as exc:
            text = exc.message
            if pattern is not None and pattern not in text:
                self._fail(None, f"the error {text!r} does not contain {pattern!r}")
            return text
        self._fail(None, "expected an error, but the function returned")
        raise AssertionError("unreachable")  # pragma: no cover - _fail raised

    def _expect_is(self, value: Any, wanted: bool | None, message: str | None) -> None:
        if value is not wanted:
            self._fail(message, f"expected {_show(wanted).lower()}, got {_show(value)}")

    def _fail(self, message: str | None, detail: str) -> None:
        raise ScriptAssertionError(f"{message}: {detail}" if message else detail)

    # -- doubles ------------------------------------------------------------------------------

    @bridge_method(returns="string")
    def mock_model(self, replies: list[Any] | dict[str, Any]) -> str:
        """A scripted model that answers with `replies` in order; returns its name, which
        ``Agent.create`` and ``Provider`` accept. A reply is text, or
        ``{tool = NAME, args = {...}}`` for a tool call.

        Args:
            replies: The replies, one per request.

        Example (lua):
            local model = Test.mock_model({{tool = "add", args = {a = 1}}, "done"})
            assert(model:sub(1, 5) == "mock:")
        """
        from ...testing import ScriptedModel, ToolCall

        if isinstance(replies, dict):  # an empty Lua table arrives as a map
            if replies:
                raise BridgeArgumentError("Test.mock_model: replies must be a list")
            replies = []
        scripted: list[Any] = []
        for index, reply in enumerate(replies, 1):
            if isinstance(reply, str):
                scripted.append(reply)
            elif isinstance(reply, dict) and isinstance(reply.get("tool"), str):
                scripted.append(ToolCall(name=reply["tool"], args=dict(reply.get("args") or {})))
            else:
                raise BridgeArgumentError(
                    f"Test.mock_model: reply {index} must be text or {{tool = NAME, args = ...}}"
                )
        name = f"{MOCK_PREFIX}{len(self.mocks) + 1}"
        self.mocks[name] = ScriptedModel(scripted, model_name=name)
        return name

    @bridge_method(returns="table")
    def mock_requests(self, model: str) -> list[list[dict[str, Any]]]:
        """The messages each request to a mock model carried, in order.

        Args:
            model: A name ``Test.mock_model`` gave.

        Example (lua):
            local model = Test.mock_model({"ok"})
            Provider.complete(model, "ping")
            assert(Test.mock_requests(model)[1][1].parts[1].text == "ping")
        """
        from .conversions import messages_to_script

        mock = mock_model_named(self.session, model)
        if mock is None:
            raise BridgeArgumentError(f"Test.mock_requests: {model!r} is not a mock model")
        return [messages_to_script(r.messages) for r in mock.requests]

    @bridge_method(returns="table")
    def spy(self, fn: ScriptFunction | None = None) -> dict[str, Any]:
        """A spy: call ``spy.fn`` instead of `fn` (or instead of nothing) and read what
        it was called with from ``spy:calls()``.

        Args:
            fn: The function to wrap; nil for a spy that returns nil.

        Example (lua):
            local spy = Test.spy(function(x) return x * 2 end)
            assert(spy.fn(21) == 42)
            assert(#spy:calls() == 1 and spy:calls()[1][1] == 21)
        """
        spy_id = f"spy:{len(self._spies) + 1}"
        self._spies[spy_id] = _Spy(fn)
        return {"id": spy_id}

    @bridge_method()
    def spy_call(self, spy: Any, args: list[Any] | dict[str, Any] | None = None) -> Any:
        """Record a call of a spy with `args` and pass it to the wrapped function (the
        prelude's ``spy.fn`` calls this).

        Args:
            spy: The spy or its id.
            args: The call's arguments.

        Example (lua):
            local spy = Test.spy()
            Test.spy_call(spy, {"x"})
            assert(spy:calls()[1][1] == "x")
        """
        record = self._spy(spy)
        arguments = args if isinstance(args, list) else []
        record.calls.append(arguments)
        return record.fn(*arguments) if record.fn is not None else None

    @bridge_method(returns="array")
    def spy_calls(self, spy: Any) -> list[list[Any]]:
        """Every call's arguments, in order.

        Args:
            spy: The spy or its id.

        Example (lua):
            local spy = Test.spy()
            spy.fn(1, 2)
            assert(Test.spy_calls(spy)[1][2] == 2)
        """
        return self._spy(spy).calls

    def _spy(self, spy: Any) -> _Spy:
        record = self._spies.get(handle_id(spy, "a spy"))
        if record is None:
            raise BridgeArgumentError(f"no spy {spy!r} in this run")
        return record
