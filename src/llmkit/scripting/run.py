"""Running scripts: `run` / `run_async` for one-shot runs, `Script` to keep one loaded.

result = run("return 1 + 1", engine="lua")
result.value  # 2
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..sync import run_sync
from .engines import EXTENSIONS, canonical_engine, engine_for_path
from .host import HostSession
from .limits import DEFAULT_LIMITS, Limits
from .permissions import Permissions
from .pool import pool_for
from .script_tool import ScriptTool

if TYPE_CHECKING:
    from ..events import EventBus
    from ..tools.base import Tool
    from ..tools.registry import ToolRegistry
    from ..tools.toolset import Toolset
    from .engines.base import ScriptEngine

__all__ = [
    "Script",
    "ScriptOptions",
    "ScriptResult",
    "load_script",
    "run",
    "run_async",
    "script_toolset",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptOptions:
    """How to run a script (one object instead of long keyword lists).

    Args:
        engine: The engine's name; by default from the file's extension, else "lua".
        args: The script's ``ARGS`` (a list or a dict).
        permissions: What it may reach (default: nothing but models).
        limits: What it may spend.
        tools: Host tools the script may call with ``Tool.call``.
        module_paths: Folders ``require`` looks in after the script's own.
        output: Receives printed text as it comes (default: collected in the result).
        bus: Where audit events go.
        isolated: Run in a worker process under OS limits, reaching the host only
            through the bridge protocol (see `llmkit.scripting.isolated`).
        source_is_model: The code came from a model; it always runs isolated.
    """

    engine: str | None = None
    args: Any = None
    permissions: Permissions | None = None
    limits: Limits = DEFAULT_LIMITS
    tools: Iterable[Tool] = ()
    module_paths: tuple[Path, ...] = ()
    output: Callable[[str], None] | None = None
    bus: EventBus | None = None
    isolated: bool = False
    source_is_model: bool = False


@dataclass(slots=True, kw_only=True)
class ScriptResult:
    """What a finished run gave: the script's first return value, what it printed, and the
    tools it defined (still callable: their engine stays alive for them)."""

    value: Any
    output: str
    tools: list[Tool] = field(default_factory=list)


def _source(source_or_path: str | Path, engine: str | None) -> tuple[str, str, Path | None, str]:
    """(source, chunk name, folder, engine name)."""
    path: Path | None = None
    if isinstance(source_or_path, Path):
        path = source_or_path
    elif not isinstance(source_or_path, str):
        raise ConfigError(f"a script is source text or a path, got {type(source_or_path).__name__}")
    elif "\n" not in source_or_path and Path(source_or_path).suffix.lower() in EXTENSIONS:
        path = Path(source_or_path)
    engine = canonical_engine(engine) if engine else None
    if path is None:
        return str(source_or_path), "<script>", None, engine or "lua"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read script {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"script {str(path)!r} is not UTF-8 text: {exc}") from None
    return text, str(path), path.resolve().parent, engine or engine_for_path(path)


class Script:
    """A script that has run and stays loaded: call its functions, use its tools.

    Make one with `load_script`; `close` it (or use ``async with``) to give its engine
    back to the pool.
    """

    def __init__(
        self,
        engine: ScriptEngine,
        session: HostSession,
        value: Any,
        *,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.value = value
        self._closed = False
        self._release = release or (lambda: pool_for(engine.name).release(engine))

    @property
    def output(self) -> str:
        """What the script has printed so far."""
        return self.session.output

    @property
    def tools(self) -> list[Tool]:
        """The tools the script defined with ``Tool.define``."""
        return [tool for tool in self.session.tools if isinstance(tool, ScriptTool)]

    def toolset(self) -> Toolset:
        """The script's tools as a `Toolset` for an agent."""
        from ..tools.toolset import Toolset

        return Toolset(self.tools)

    async def call(self, name: str, *args: Any) -> Any:
        """Call the script's global function `name` with Python values.

        Raises:
            ScriptValueError: There is no such function, or a value cannot cross.
            ScriptError: The function failed or hit a limit.
        """
        self._check_open()
        return await self.engine.on_thread_async(self.engine.call_global, name, args)

    def call_sync(self, name: str, *args: Any) -> Any:
        """`call` from synchronous code."""
        self._check_open()
        return self.engine.on_thread(self.engine.call_global, name, args)

    async def aclose(self) -> None:
        """Close what the run's bridges opened (stores, temporary folders, recordings)
        and give the engine back to the pool (its functions and tools stop working)."""
        if not self._closed:
            self._closed = True
            try:
                await self.session.aclose()
            finally:
                self._release()

    def close(self) -> None:
        """`aclose` from synchronous code."""
        if not self._closed:
            run_sync(self.aclose())

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigError("this script is closed")

    async def __aenter__(self) -> Script:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def load_script(
    source_or_path: str | Path, options: ScriptOptions | None = None, **overrides: Any
) -> Script:
    """Run a script and keep it loaded (see `Script`).

    Args:
        source_or_path: Source text, or a path (a `Path`, or a string ending in a known
            script extension).
        options: How to run it; keyword arguments override single fields.

    Raises:
        ConfigError: The file cannot be read or an option is invalid.
        UnknownEngineError: No engine fits.
        ScriptError: The script failed (the engine goes back to the pool first).
    """
    opts = _options(options, overrides)
    source, chunk_name, folder, engine_name = _source(source_or_path, opts.engine)
    engine, release = _engine(engine_name, opts)
    session = HostSession(
        engine=engine_name,
        permissions=opts.permissions,
        limits=opts.limits,
        args=opts.args,
        tools=_registry(opts.tools),
        loop=asyncio.get_running_loop(),
        bus=opts.bus,
        output=opts.output,
        run_id=uuid.uuid4().hex,
        folder=folder,
        module_paths=tuple(Path(p) for p in opts.module_paths),
    )
    try:
        value = await engine.on_thread_async(
            lambda: engine.execute(source, chunk_name=chunk_name, folder=folder, session=session)
        )
    except BaseException:
        try:  # an error or a limit ends the run: its resources go with it
            await session.aclose()
        finally:
            release()
        raise
    return Script(engine, session, value, release=release)


def _engine(name: str, opts: ScriptOptions) -> tuple[ScriptEngine, Callable[[], None]]:
    """An engine for the run and how to give it back: a pooled one, or (isolated) a new
    worker process that closing kills."""
    if opts.isolated or opts.source_is_model:
        from .isolated import IsolatedEngine

        isolated = IsolatedEngine(name)
        return isolated, isolated.close
    pool = pool_for(name)
    engine = pool.acquire()
    return engine, lambda: pool.release(engine)


async def run_async(
    source_or_path: str | Path, options: ScriptOptions | None = None, **overrides: Any
) -> ScriptResult:
    """Run a script to the end in a pooled engine, without blocking the event loop.

    Arguments as for `load_script`. The engine goes back to the pool unless the script
    defined tools, which keep it.

    Raises:
        ScriptError: A subclass saying what failed: syntax, runtime, timeout, memory,
            permission.
    """
    script = await load_script(source_or_path, options, **overrides)
    tools = script.tools
    if not tools:
        await script.aclose()
    return ScriptResult(value=script.value, output=script.output, tools=list(tools))


def run(
    source_or_path: str | Path, options: ScriptOptions | None = None, **overrides: Any
) -> ScriptResult:
    """`run_async` from synchronous code (also inside a running event loop).

    Example:
        >>> run("return 6 * 7", engine="lua").value
        42
    """
    return run_sync(run_async(source_or_path, options, **overrides))


def script_toolset(path: str | PathLike[str], **options: Any) -> Toolset:
    """The tools the script at `path` defines (see `Toolset.from_script`).

    Raises:
        ConfigError: The script defines no tools.
    """
    from ..tools.toolset import Toolset

    result = run(Path(path), **options)
    if not result.tools:
        raise ConfigError(f"script {str(path)!r} defines no tools (call Tool.define)")
    return Toolset(result.tools)


def _options(options: ScriptOptions | None, overrides: dict[str, Any]) -> ScriptOptions:
    base = options or ScriptOptions()
    if not overrides:
        return base
    known = set(ScriptOptions.__dataclass_fields__)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown script option(s) {unknown}; known: {sorted(known)}")
    from dataclasses import replace

    return replace(base, **overrides)


def _registry(tools: Iterable[Tool]) -> ToolRegistry:
    from ..tools.registry import ToolRegistry

    return ToolRegistry(tools)
