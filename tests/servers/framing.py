"""HTTP/1.1 framing for LoopbackServer: read requests off a stream, write replies onto it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from .replies import (
    CloseWithoutResponse,
    Delayed,
    JsonReply,
    Pause,
    RawReply,
    RecordedRequest,
    Reply,
    ResetConnection,
    StreamReply,
    TruncatedBody,
    parse_json,
)

__all__ = ["BadRequest", "read_request", "send_reply"]

HEAD_LIMIT = 1 << 20  # request line + headers; generous so big test headers never trip it


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.1."""


# -- reading ---------------------------------------------------------------------------------


async def read_request(
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
        raise BadRequest(f"bad request line {lines[0]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(f"bad header line {line!r}")
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
                raise BadRequest(f"bad chunk size {size_line!r}") from None
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers: read and ignore
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    try:
        length = int(headers.get("content-length", "0") or "0")
    except ValueError:
        raise BadRequest("bad Content-Length") from None
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


async def send_reply(reply: Reply, writer: asyncio.StreamWriter, *, close: bool) -> bool:
    """Write `reply`; False when the connection must not be reused."""
    match reply:
        case Delayed(seconds, inner):
            await asyncio.sleep(seconds)
            return await send_reply(inner, writer, close=close)
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
