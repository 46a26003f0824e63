"""MCP server connections: `MCPStdio` spawns a server process, `MCPStreamableHTTP` dials a URL.

The SDK's transports and `ClientSession` are anyio context managers whose cancel scopes
must be entered and exited by the same task. A connection therefore runs them in one task
of its own, which opens the transport, initializes, lists the tools, then waits to be told
to close; tool calls from any task just send requests over the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ...errors import LLMKitError
from ..toolset import Toolset
from ._sdk import require_mcp
from .tool import MCPTool

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.client._transport import TransportStreams
    from mcp_types import Tool as MCPToolInfo

__all__ = ["MCPConnectionError", "MCPServer", "MCPStdio", "MCPStreamableHTTP"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 15.0


class MCPConnectionError(LLMKitError):
    """An MCP server could not be started, reached or initialized in time."""


class MCPServer(ABC):
    """A connection to one MCP server; use it as ``async with``, then take its tools.

    Example::

        async with MCPStdio("python3", ["server.py"]) as server:
            agent = Agent(model, tools=server.toolset(), policy=policy)

    Args:
        name: A label for errors, logs and tool tags.
        prefix: Prepended to every tool name as ``f"{prefix}_{name}"``, so two servers'
            tools can share an agent.
        timeout: Seconds each tool call may take (`MCPTool.timeout`); None: no limit.
        connect_timeout: Seconds to start, connect and initialize the server.

    Raises:
        ConfigError: The `mcp` package is not installed (``pip install 'llmkit[mcp]'``).
    """

    capabilities: frozenset[str] = frozenset()
    """What the server's tools need from a `Policy`; set by each transport."""

    def __init__(
        self,
        *,
        name: str,
        prefix: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        require_mcp()  # fail at creation, with the install hint, not at first use
        self.name = name
        self.prefix = prefix
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._tools: Toolset | None = None

    @abstractmethod
    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        """The SDK transport context manager (yielding read and write streams)."""

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """Whether the session is up (and the serving task still running)."""
        return self._session is not None and self._task is not None and not self._task.done()

    async def connect(self) -> None:
        """Start the server (or open the connection), initialize and list its tools.

        Raises:
            MCPConnectionError: It failed, or took longer than `connect_timeout` seconds.
        """
        if self._task is not None:
            raise MCPConnectionError(f"MCP server {self.name!r} is already connected")
        ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._serve(ready), name=f"mcp:{self.name}")
        started = asyncio.create_task(ready.wait())
        try:
            done, _ = await asyncio.wait(
                {self._task, started},
                timeout=self.connect_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except BaseException:
            started.cancel()
            await self._abort()
            raise
        started.cancel()
        if started in done and not self._task.done():
            return
        failure = await self._abort()
        if failure is None:
            raise MCPConnectionError(
                f"MCP server {self.name!r} did not start within {self.connect_timeout} s"
            )
        raise MCPConnectionError(
            f"MCP server {self.name!r} failed to start: {_describe(failure)}"
        ) from failure

    async def close(self) -> None:
        """Close the session and the transport (a spawned process is stopped). Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        assert self._closing is not None
        self._closing.set()
        try:
            await task
        except Exception as exc:
            # The connection already broke (e.g. the server died); closing still succeeded.
            logger.warning("MCP server %r closed with an error: %s", self.name, _describe(exc))
        finally:
            self._session = None

    async def _abort(self) -> BaseException | None:
        """Stop a serving task that did not get ready; return its error, if it had one."""
        task, self._task = self._task, None
        self._session = None
        if task is None:
            return None
        if not task.done():
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # our caller is being cancelled, not just the serving task
            return None
        except Exception as exc:
            return exc
        return None

    async def _serve(self, ready: asyncio.Event) -> None:
        # Every SDK context manager is entered and exited here, in this one task.
        from mcp import ClientSession

        assert self._closing is not None
        async with contextlib.AsyncExitStack() as stack:
            read_stream, write_stream = await stack.enter_async_context(self._transport())
            session = await stack.enter_async_context(ClientSession(read_stream, write_stream))
            await session.initialize()
            infos = await _list_all_tools(session)
            self._session = session
            self._tools = self._make_toolset(infos)
            ready.set()
            try:
                await self._closing.wait()
            finally:
                self._session = None

    # -- tools -----------------------------------------------------------------------------

    @property
    def session(self) -> ClientSession:
        """The live SDK session.

        Raises:
            ToolError: The server is not connected (never entered, closed, or it died).
        """
        if not self.connected:
            from ..base import ToolError

            raise ToolError(f"MCP server {self.name!r} is not connected")
        assert self._session is not None
        return self._session

    def toolset(self) -> Toolset:
        """The server's tools as `MCPTool`s, listed once at connection.

        Raises:
            MCPConnectionError: The server is not connected.
        """
        if self._tools is None or not self.connected:
            raise MCPConnectionError(
                f"MCP server {self.name!r} is not connected: use `async with` first"
            )
        return self._tools

    def tools(self) -> Toolset:
        """Alias of `toolset`."""
        return self.toolset()

    def _make_toolset(self, infos: Sequence[MCPToolInfo]) -> Toolset:
        tools = []
        for info in infos:
            name = f"{self.prefix}_{info.name}" if self.prefix else info.name
            tools.append(MCPTool(self, info, name=name))
        return Toolset(tools)


class MCPStdio(MCPServer):
    """An MCP server llmkit spawns and speaks to over its stdin and stdout.

    Its tools declare the capability ``"process"``: an agent runs them only when its
    `Policy` grants processes (``Policy(processes=ProcessPolicy([...]))``). The process
    itself is started by ``async with`` (the application's choice of command, not the
    model's), gets a minimal environment (PATH, HOME, ... plus `env`) and is stopped on
    close (stdin closed, then SIGTERM and SIGKILL to its process group).

    Args:
        command: The program to run.
        args: Its arguments.
        env: Extra environment variables for it.
        cwd: Its working directory.
        name: A label (default: the command's file name).
        **options: `prefix`, `timeout`, `connect_timeout` (see `MCPServer`).
    """

    capabilities = frozenset({"process"})

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        name: str | None = None,
        prefix: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(
            name=name or Path(command).name,
            prefix=prefix,
            timeout=timeout,
            connect_timeout=connect_timeout,
        )
        self.command = command
        self.args = list(args)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=self.command,
            args=self.args,
            env=self.env,
            cwd=os.fspath(self.cwd) if self.cwd is not None else None,
        )
        return stdio_client(params)

    def __repr__(self) -> str:
        return f"MCPStdio({self.command!r}, {self.args!r})"


class MCPStreamableHTTP(MCPServer):
    """An MCP server reached over streamable HTTP at `url` (e.g. ``http://host:8000/mcp``).

    Its tools declare the capability ``"net"``: an agent runs them only when its `Policy`
    grants network access. The connection itself does not consult the policy's host rules.

    Args:
        url: The server's MCP endpoint.
        headers: Sent with every request (e.g. ``Authorization``).
        name: A label (default: the URL).
        **options: `prefix`, `timeout`, `connect_timeout` (see `MCPServer`).
    """

    capabilities = frozenset({"net"})

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        prefix: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(
            name=name or url, prefix=prefix, timeout=timeout, connect_timeout=connect_timeout
        )
        self.url = url
        self.headers = dict(headers or {})

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        return self._open()

    @contextlib.asynccontextmanager
    async def _open(self) -> AsyncIterator[TransportStreams]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        # Our own client, to send `headers`; the long read timeout lets the server hold the
        # event stream open, while each tool call is bounded by `timeout` instead.
        timeout = httpx2.Timeout(self.connect_timeout, read=300.0)
        async with (
            httpx2.AsyncClient(headers=self.headers, timeout=timeout) as client,
            streamable_http_client(self.url, http_client=client) as streams,
        ):
            yield streams

    def __repr__(self) -> str:
        return f"MCPStreamableHTTP({self.url!r})"


async def _list_all_tools(session: ClientSession) -> list[MCPToolInfo]:
    from mcp_types import PaginatedRequestParams

    infos: list[MCPToolInfo] = []
    cursor: str | None = None
    while True:
        params = PaginatedRequestParams(cursor=cursor) if cursor is not None else None
        page = await session.list_tools(params=params)
        infos.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return infos


def _describe(exc: BaseException) -> str:
    # Task groups wrap failures; the first leaf says what went wrong.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
