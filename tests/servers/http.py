"""LoopbackServer: a real HTTP/1.1 server on 127.0.0.1, run by asyncio in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from itertools import count
from types import TracebackType
from typing import Any, Self

from .framing import HEAD_LIMIT, BadRequest, read_request, send_reply
from .replies import REPLY_TYPES, Handler, JsonReply, RecordedRequest, Reply
from .scripted import ScriptedHandler

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """An HTTP/1.1 server with keep-alive that records every request.

    Without a handler it uses a `ScriptedHandler` with no default (see `enqueue`).
    """

    def __init__(
        self, handler: Handler | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.handler: Handler = handler if handler is not None else ScriptedHandler()
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # exceptions raised by the handler (answered 500)
        self.connections_opened = 0
        self.open_connections = 0
        self._idle = threading.Condition()
        self._conn_ids = count(1)
        self._connections: set[tuple[asyncio.Task[Any], asyncio.StreamWriter]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    def enqueue(self, *replies: Reply | Handler, path: str | None = None) -> None:
        """Shortcut for `ScriptedHandler.enqueue` when the handler is one."""
        if not isinstance(self.handler, ScriptedHandler):
            raise TypeError("enqueue() needs a ScriptedHandler")
        self.handler.enqueue(*replies, path=path)

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("server already started")
        # A stopped server may start again, on the same port (a "server restart" in tests).
        self._ready.clear()
        self._start_error = None
        self._thread = threading.Thread(target=self._run, name="loopback-http", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise self._start_error
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None

    def wait_until_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no connection is open (the server sees client closes asynchronously)."""
        return self.wait_for_open_connections(0, timeout)

    def wait_for_open_connections(self, count: int, timeout: float = 2.0) -> bool:
        """Wait until exactly `count` connections are open; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self.open_connections == count, timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- event loop thread -------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, limit=HEAD_LIMIT)
            )
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:
            self._start_error = exc
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown(server))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self, server: asyncio.Server) -> None:
        server.close()
        # Let just-accepted connections reach _serve, whose `finally` closes them; a handler
        # task cancelled before its first step would leak its socket.
        for _ in range(3):
            await asyncio.sleep(0)
        connections = list(self._connections)
        for task, _ in connections:
            task.cancel()
        await asyncio.gather(*(task for task, _ in connections), return_exceptions=True)
        for _, writer in connections:
            writer.transport.abort()  # close() would wait for a client that stopped reading
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await server.wait_closed()
        # Let the transports' close callbacks run so no socket outlives the loop.
        for _ in range(3):
            await asyncio.sleep(0)

    def _count_connection(self, delta: int) -> None:
        with self._idle:
            self.open_connections += delta
            if delta > 0:
                self.connections_opened += 1
            self._idle.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection_id = next(self._conn_ids)
        task = asyncio.current_task()
        assert task is not None  # start_server runs each handler in its own task
        connection = (task, writer)
        self._connections.add(connection)
        self._count_connection(+1)
        try:
            while True:
                try:
                    received = await read_request(reader, writer, connection_id)
                except BadRequest as exc:
                    await send_reply(JsonReply(400, {"error": str(exc)}), writer, close=True)
                    break
                if received is None:
                    break
                request, keep_alive = received
                self.requests.append(request)
                reply = await self._answer(request)
                try:
                    reusable = await send_reply(reply, writer, close=not keep_alive)
                except ConnectionError:
                    raise  # handled below, like a client going away
                except Exception as exc:  # a malformed reply: record it like a handler error
                    self.errors.append(exc)
                    break
                if not (reusable and keep_alive):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away; nothing to answer
        except asyncio.CancelledError:
            # stop() cancels open connections. Ending normally matters on 3.11, whose
            # start_server callback logs a traceback for every cancelled handler task.
            pass
        finally:
            writer.close()
            self._connections.discard(connection)
            self._count_connection(-1)

    async def _answer(self, request: RecordedRequest) -> Reply:
        try:
            reply = self.handler(request)
            if inspect.isawaitable(reply):
                reply = await reply
            if not isinstance(reply, REPLY_TYPES):
                raise TypeError(f"handler returned {reply!r}, not a Reply")
            return reply
        except Exception as exc:
            self.errors.append(exc)
            message = f"test server handler failed: {exc!r}"
            return JsonReply(500, {"error": {"message": message, "type": "test_server"}})
