"""The bridge registry: every script-visible method, declared once.

A bridge is a `Bridge` subclass whose script-visible methods carry ``@bridge_method``.
From that one declaration come the bindings of every engine (named in the language's
idiom: ``extract_json`` in Lua, ``extractJson`` in JavaScript), the API reference pages
and the conformance coverage report. Bridges are listed as ``name -> "module:Class"``
and imported on first use.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import ConfigError
from .params import Param, params_of
from .permissions import PERMISSION_NAMES

if TYPE_CHECKING:
    from .host import HostSession

__all__ = [
    "DEFAULT_BRIDGES",
    "Bridge",
    "BridgeMethod",
    "BridgeRegistry",
    "PreludeFunction",
    "bridge_method",
    "camel_case",
    "default_registry",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_BRIDGES: dict[str, str] = {
    "Tool": "llmkit.scripting.bridges.tool:ToolBridge",
    "Schema": "llmkit.scripting.bridges.schema:SchemaBridge",
    "Output": "llmkit.scripting.bridges.output:OutputBridge",
    "JSON": "llmkit.scripting.bridges.helpers:JSONBridge",
    "log": "llmkit.scripting.bridges.helpers:LogBridge",
    "Provider": "llmkit.scripting.bridges.provider:ProviderBridge",
    "Agent": "llmkit.scripting.bridges.agent:AgentBridge",
    "Event": "llmkit.scripting.bridges.event:EventBridge",
    "Hook": "llmkit.scripting.bridges.hook:HookBridge",
    "Test": "llmkit.scripting.bridges.testing:TestBridge",
    "Workflow": "llmkit.scripting.bridges.workflow:WorkflowBridge",
    "Memory": "llmkit.scripting.bridges.memory:MemoryBridge",
    "State": "llmkit.scripting.bridges.state:StateBridge",
    "Async": "llmkit.scripting.bridges.async_bridge:AsyncBridge",
}
"""The bridges every engine gets, by the global name scripts see."""

_MARK = "__bridge_method__"
_EXAMPLE = re.compile(r"^Example \((?P<engine>\w+)\):\s*$")
_SECTION = re.compile(r"^[A-Z][A-Za-z ()]*:\s*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PreludeFunction:
    """A function each language's prelude adds to a bridge's global, where a native one
    reads better than a host method (``Async.all`` over script functions). Documented
    and declared with the bridge's methods; its examples run as tests like theirs.

    Args:
        signatures: How a call reads, by engine (``{"lua": "Async.all(fn, ...)"}``).
        typescript: Its declaration in ``llmkit.d.ts``, without the trailing ``;``.
        summary: What it does.
        examples: Runnable examples by engine; each checks itself with ``assert``.
    """

    signatures: Mapping[str, str]
    typescript: str
    summary: str
    examples: Mapping[str, str]


class Bridge:
    """Base class of bridges. One instance per script run, holding that run's session."""

    name: ClassVar[str]
    """The global name scripts see (``Tool``)."""
    summary: ClassVar[str] = ""
    prelude: ClassVar[tuple[PreludeFunction, ...]] = ()
    """Functions the language preludes add to this bridge's global."""

    __slots__ = ("session",)

    def __init__(self, session: HostSession) -> None:
        self.session = session

    async def aclose(self) -> None:
        """Close what this bridge opened for its run (stores, files, threads); called once
        when the run ends."""


def bridge_method(*, permission: str | None = None, returns: str = "any") -> Callable[[F], F]:
    """Mark a `Bridge` method as script-visible.

    Args:
        permission: The permission the script needs (one of `PERMISSION_NAMES`), or None.
        returns: The returned value's type as the docs show it.
    """
    if permission is not None and permission not in PERMISSION_NAMES:
        raise ConfigError(f"unknown permission {permission!r}; known: {PERMISSION_NAMES}")

    def mark(function: F) -> F:
        setattr(function, _MARK, (permission, returns))
        return function

    return mark


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeMethod:
    """One script-visible method: where it lives, what it takes and needs, how to use it."""

    index: int
    bridge: str
    name: str
    qualified_name: str
    """``Bridge.method`` with the Python (and Lua) spelling."""
    params: tuple[Param, ...]
    returns: str
    permission: str | None
    summary: str
    arguments: Mapping[str, str]
    examples: Mapping[str, str]
    function: Callable[..., Any]

    def script_name(self, engine: str) -> str:
        """The method's name in `engine`'s idiom: camelCase for JavaScript, else snake_case."""
        return camel_case(self.name) if engine == "javascript" else self.name

    def bind(self, args: tuple[Any, ...]) -> list[Any]:
        """Check positional script arguments against the parameters (missing ones are None).

        Raises:
            BridgeArgumentError: Too many arguments, or one does not fit.
        """
        params = self.params
        if len(args) == len(params):  # the common case, checked without extra steps
            name = self.qualified_name
            # zip(strict=True) costs a microsecond here; the lengths are equal already.
            return [param.check(name, value) for param, value in zip(params, args)]  # noqa: B905
        if len(args) > len(params):
            from .errors import BridgeArgumentError

            raise BridgeArgumentError(
                f"{self.qualified_name} takes at most {len(params)} argument(s), got {len(args)}"
            )
        bound = [
            param.check(self.qualified_name, value)
            for param, value in zip(params, args, strict=False)
        ]
        for param in params[len(args) :]:
            bound.append(param.check(self.qualified_name, None))
        return bound


def camel_case(name: str) -> str:
    """``extract_json`` -> ``extractJson``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class BridgeRegistry:
    """Bridges by global name, loaded lazily; methods get stable indexes engines call by."""

    def __init__(self, bridges: Mapping[str, str] = DEFAULT_BRIDGES) -> None:
        self._paths = dict(bridges)
        self._classes: dict[str, type[Bridge]] | None = None
        self._methods: tuple[BridgeMethod, ...] = ()

    @property
    def names(self) -> list[str]:
        """The bridges' global names, in declaration order."""
        return list(self._paths)

    def classes(self) -> dict[str, type[Bridge]]:
        """The bridge classes by global name (imported on first call)."""
        if self._classes is None:
            self._load()
        assert self._classes is not None
        return self._classes

    def methods(self) -> tuple[BridgeMethod, ...]:
        """Every script-visible method; ``methods()[m.index] is m``."""
        if self._classes is None:
            self._load()
        return self._methods

    def __iter__(self) -> Iterator[BridgeMethod]:
        return iter(self.methods())

    def _load(self) -> None:
        classes: dict[str, type[Bridge]] = {}
        methods: list[BridgeMethod] = []
        for name, path in self._paths.items():
            module_name, _, class_name = path.partition(":")
            cls = getattr(import_module(module_name), class_name)
            if not (isinstance(cls, type) and issubclass(cls, Bridge)) or cls.name != name:
                raise ConfigError(f"bridge {name!r}: {path} is not a Bridge named {name!r}")
            classes[name] = cls
            for attribute, function in _declared_methods(cls):
                permission, returns = getattr(function, _MARK)
                doc = _parse_doc(inspect.getdoc(function) or "")
                methods.append(
                    BridgeMethod(
                        index=len(methods),
                        bridge=name,
                        name=attribute,
                        qualified_name=f"{name}.{attribute}",
                        params=params_of(function),
                        returns=returns,
                        permission=permission,
                        summary=doc.summary,
                        arguments=doc.arguments,
                        examples=doc.examples,
                        function=function,
                    )
                )
        self._classes = classes
        self._methods = tuple(methods)


def _declared_methods(cls: type[Bridge]) -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for attribute, function in vars(cls).items():
        if callable(function) and hasattr(function, _MARK):
            found.append((attribute, function))
    return found


@dataclass(frozen=True, slots=True)
class _Doc:
    summary: str
    arguments: dict[str, str]
    examples: dict[str, str]


def _parse_doc(doc: str) -> _Doc:
    """Summary, ``Args:`` entries and ``Example (engine):`` blocks of a method docstring."""
    from ..tools.docstrings import parse_docstring

    parsed = parse_docstring(doc)
    examples: dict[str, str] = {}
    lines = doc.splitlines()
    index = 0
    while index < len(lines):
        match = _EXAMPLE.match(lines[index])
        index += 1
        if not match:
            continue
        body: list[str] = []
        while index < len(lines) and not _SECTION.match(lines[index]):
            body.append(lines[index])
            index += 1
        examples[match.group("engine")] = inspect.cleandoc("\n".join(body))
    summary = parsed.description
    return _Doc(summary, dict(parsed.arguments), examples)


_default: BridgeRegistry | None = None


def default_registry() -> BridgeRegistry:
    """The registry of `DEFAULT_BRIDGES`, shared by every engine."""
    global _default
    if _default is None:
        _default = BridgeRegistry()
    return _default
