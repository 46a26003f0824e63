"""LoopbackServer: a real HTTP/1.1 server on 127.0.0.1, run by asyncio in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import struct
import threading
from http import HTTPStatus
from itertools import count
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, unquote, urlsplit

from .replies import (
    REPLY_TYPES,
    CloseWithoutResponse,
    Delayed,
    Fault,
    Handler,
    JsonReply,
    Pause,
    RawReply,
    RecordedRequest,
    Reply,
    ResetConnection,
    StreamItem,
    StreamReply,
    TruncatedBody,
    parse_json,
)
from .scripted import ScriptedHandler

__all__ = [
    "CloseWithoutResponse",
    "Delayed",
    "Fault",
    "Handler",
    "JsonReply",
    "LoopbackServer",
    "Pause",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ResetConnection",
    "ScriptedHandler",
    "StreamItem",
    "StreamReply",
    "TruncatedBody",
]

_HEAD_LIMIT = 1 << 20  # request line + headers; generous so big test headers never trip it


class _BadRequest(Exception):
    pass


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
        with self._idle:
            return self._idle.wait_for(lambda: self.open_connections == 0, timeout)

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
                asyncio.start_server(self._serve, self.host, self.port, limit=_HEAD_LIMIT)
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
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
        self._count_connection(+1)
        try:
            while True:
                try:
                    received = await _read_request(reader, writer, connection_id)
                except _BadRequest as exc:
                    await _send(JsonReply(400, {"error": str(exc)}), writer, close=True)
                    break
                if received is None:
                    break
                request, keep_alive = received
                self.requests.append(request)
                reply = await self._answer(request)
                try:
                    reusable = await _send(reply, writer, close=not keep_alive)
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


# -- reading ---------------------------------------------------------------------------------


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection_id: int
) -> tuple[RecordedRequest, bool] | None:
    """The next request and whether to keep the connection alive after it.

    None when the client closed the connection between requests.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise
        return None
    lines = head.decode("latin-1").strip("\r\n").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        raise _BadRequest(f"bad request line {lines[0]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {line!r}")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await _read_body(reader, headers)
    url = urlsplit(target)
    request = RecordedRequest(
        method=method.upper(),
        path=unquote(url.path),
        query=dict(parse_qsl(url.query, keep_blank_values=True)),
        headers=headers,
        body=body,
        json=parse_json(body),
        connection_id=connection_id,
    )
    return request, _keep_alive(version, headers.get("connection", "").lower())


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size {size_line!r}") from None
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers: read and ignore
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    try:
        length = int(headers.get("content-length", "0") or "0")
    except ValueError:
        raise _BadRequest("bad Content-Length") from None
    return await reader.readexactly(length) if length > 0 else b""


def _keep_alive(version: str, connection: str) -> bool:
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


# -- writing ---------------------------------------------------------------------------------


def _head(
    status: int,
    content_type: str,
    headers: dict[str, str],
    framing: tuple[str, str],
    close: bool,
) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    custom = {name.lower() for name in headers}
    if "content-type" not in custom:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    lines.append(f"{framing[0]}: {framing[1]}")
    if close and "connection" not in custom:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _abort(writer: asyncio.StreamWriter) -> None:
    # SO_LINGER 0 makes close() send RST instead of FIN: the client sees a reset, not an EOF.
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _flush(writer: asyncio.StreamWriter) -> None:
    """Wait until asyncio handed everything to the kernel (abort() would drop the rest)."""
    await writer.drain()
    transport = writer.transport
    for _ in range(200):
        if transport.is_closing() or transport.get_write_buffer_size() == 0:
            return
        await asyncio.sleep(0.005)


async def _send(reply: Reply, writer: asyncio.StreamWriter, *, close: bool) -> bool:
    """Write `reply`; False when the connection must not be reused."""
    match reply:
        case Delayed(seconds, inner):
            await asyncio.sleep(seconds)
            return await _send(inner, writer, close=close)
        case JsonReply(status, body, headers):
            data = json.dumps(body).encode()
            length = ("Content-Length", str(len(data)))
            writer.write(_head(status, "application/json", headers, length, close) + data)
        case RawReply(status, body, headers, content_type):
            length = ("Content-Length", str(len(body)))
            writer.write(_head(status, content_type, headers, length, close) + body)
        case StreamReply():
            return await _send_stream(reply, writer, close=close)
        case ResetConnection():
            _abort(writer)
            return False
        case TruncatedBody(status, body, _, headers, content_type):
            length = ("Content-Length", str(reply.length))
            writer.write(_head(status, content_type, headers, length, close) + body)
            await writer.drain()
            return False  # the caller closes, which flushes `body` first
        case CloseWithoutResponse():
            return False
    await writer.drain()
    return True


async def _send_stream(reply: StreamReply, writer: asyncio.StreamWriter, *, close: bool) -> bool:
    chunked = ("Transfer-Encoding", "chunked")
    headers = {"Cache-Control": "no-cache"} | reply.headers
    pending = [_head(reply.status, reply.content_type, headers, chunked, close)]
    last = len(reply.events) - 1
    for index, item in enumerate(reply.events):
        if isinstance(item, str):
            item = item.encode()
        match item:
            case bytes() if item:
                pending.append(b"%x\r\n%s\r\n" % (len(item), item))
            case bytes():
                pass  # an empty chunk would end the body early
            case Pause(seconds):
                await _write(writer, pending)
                await asyncio.sleep(seconds)
            case ResetConnection():
                await _write(writer, pending)
                await _flush(writer)
                _abort(writer)
                return False
            case TruncatedBody(_, body):
                pending.append(b"%x\r\n%s" % (item.length, body))
                await _write(writer, pending)
                return False
            case CloseWithoutResponse():
                await _write(writer, pending)
                return False
            case _:
                raise TypeError(f"not a stream item: {item!r}")
        if reply.delay > 0 and index < last:
            await _write(writer, pending)
            await asyncio.sleep(reply.delay)
    pending.append(b"0\r\n\r\n")
    await _write(writer, pending)
    return True


async def _write(writer: asyncio.StreamWriter, pending: list[bytes]) -> None:
    # Without a delay, chunks go out in one write: each is still its own HTTP chunk, but the
    # server costs one syscall per reply instead of one per chunk.
    if pending:
        writer.write(b"".join(pending))
        pending.clear()
    await writer.drain()
