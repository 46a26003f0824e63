"""The bridge protocol between the host and an isolated worker process.

Each message is a JSON object behind a 4-byte big-endian length. Script functions cross
as ``{"\\u0000fn": id}`` markers that each side turns back into a callable. The parent
treats everything the child sends as untrusted: a frame larger than `MAX_MESSAGE`, text
that is not a JSON object, an unknown ``op`` or a field of the wrong type is a
`ProtocolError`, and the worker is killed.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable
from typing import Any

from .callbacks import ScriptFunction
from .errors import (
    ScriptError,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptPermissionError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    ScriptTimeout,
    ScriptValueError,
)
from .values import normalise

__all__ = [
    "FUNCTION_MARKER",
    "MAX_MESSAGE",
    "FrameReader",
    "ProtocolError",
    "decode_values",
    "encode_message",
    "error_from_wire",
    "error_to_wire",
    "field",
    "write_message",
]

MAX_MESSAGE = 16 * 2**20
"""The largest frame either side accepts, in bytes."""
FUNCTION_MARKER = "\u0000fn"
_HEADER = 4
_ERRORS: dict[str, type[ScriptError]] = {
    cls.__name__: cls
    for cls in (
        ScriptError,
        ScriptSyntaxError,
        ScriptRuntimeError,
        ScriptPermissionError,
        ScriptLimitError,
        ScriptTimeout,
        ScriptMemoryError,
    )
}


class ProtocolError(ScriptError):
    """The worker process broke the bridge protocol (a malformed, forged or oversized
    message, or it vanished mid-call); the host kills it."""


def encode_message(message: dict[str, Any], function_id: Callable[[ScriptFunction], int]) -> bytes:
    """`message` as one frame; script functions become markers numbered by `function_id`.

    Raises:
        ScriptValueError: A value cannot cross, or the frame would exceed `MAX_MESSAGE`.
    """

    def default(item: Any) -> Any:
        if isinstance(item, ScriptFunction):
            return {FUNCTION_MARKER: function_id(item)}
        if isinstance(item, bytes):
            try:
                return item.decode("utf-8")
            except UnicodeDecodeError:
                raise ScriptValueError("bytes that are not UTF-8 cannot cross") from None
        return normalise(item, "to the other process")

    try:
        body = json.dumps(message, default=default, ensure_ascii=False, check_circular=True)
    except ValueError as exc:  # a cycle
        raise ScriptValueError(f"a value cannot cross between processes: {exc}") from None
    data = body.encode("utf-8", "surrogatepass")
    if len(data) > MAX_MESSAGE:
        raise ScriptValueError(f"a message of {len(data)} bytes is over {MAX_MESSAGE} bytes")
    return len(data).to_bytes(_HEADER, "big") + data


def write_message(
    fd: int, message: dict[str, Any], function_id: Callable[[ScriptFunction], int]
) -> None:
    """Send `message` on `fd` (blocking until it is written)."""
    view = memoryview(encode_message(message, function_id))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def decode_values(value: Any, revive: Callable[[int], Any]) -> Any:
    """`value` with every function marker replaced by ``revive(id)``."""
    if isinstance(value, dict):
        marker = value.get(FUNCTION_MARKER)
        if marker is not None and len(value) == 1:
            if type(marker) is not int:
                raise ProtocolError("a function marker without an integer id", engine="worker")
            return revive(marker)
        return {key: decode_values(item, revive) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_values(item, revive) for item in value]
    return value


class FrameReader:
    """Reads whole frames from `fd`, waiting at most until a deadline.

    Args:
        fd: The pipe to read.
        engine: Named in the errors.
    """

    def __init__(self, fd: int, engine: str) -> None:
        self.fd = fd
        self.engine = engine
        self._buffer = bytearray()

    def read(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or None when `deadline` (monotonic) passes first.

        Raises:
            ProtocolError: The frame is oversized or not a JSON object, or the pipe closed.
        """
        while True:
            message = self._take()
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 3600.0))
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise ProtocolError("the worker process closed the pipe", engine=self.engine)
            self._buffer += chunk

    def _take(self) -> dict[str, Any] | None:
        if len(self._buffer) < _HEADER:
            return None
        size = int.from_bytes(self._buffer[:_HEADER], "big")
        if size > MAX_MESSAGE:
            raise ProtocolError(
                f"a message of {size} bytes is over the {MAX_MESSAGE}-byte limit",
                engine=self.engine,
            )
        if len(self._buffer) < _HEADER + size:
            return None
        body = bytes(self._buffer[_HEADER : _HEADER + size])
        del self._buffer[: _HEADER + size]
        try:
            message = json.loads(body.decode("utf-8", "surrogatepass"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProtocolError(f"a message is not JSON: {exc}", engine=self.engine) from None
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            raise ProtocolError("a message is not an object with an 'op'", engine=self.engine)
        return message


def field(message: dict[str, Any], name: str, kind: type | tuple[type, ...], engine: str) -> Any:
    """``message[name]`` when it has type `kind`.

    Raises:
        ProtocolError: It is missing or of another type.
    """
    value = message.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ProtocolError(
            f"message {message.get('op')!r}: field {name!r} is missing or malformed",
            engine=engine,
        )
    return value


def error_to_wire(error: BaseException) -> dict[str, Any]:
    """A script error (or what the worker raised instead) as a message field."""
    if isinstance(error, ScriptError):
        return {
            "type": type(error).__name__ if type(error).__name__ in _ERRORS else "ScriptError",
            "message": error.message,
            "file": error.file,
            "line": error.line,
            "column": error.column,
            "traceback": error.traceback,
            "limit": getattr(error, "limit", None),
        }
    if isinstance(error, MemoryError):
        return {"type": "ScriptMemoryError", "message": "not enough memory", "limit": "memory"}
    if isinstance(error, ScriptValueError):
        return {"type": "ScriptValueError", "message": str(error)}
    return {"type": "ScriptRuntimeError", "message": f"{type(error).__name__}: {error}"}


def error_from_wire(wire: Any, engine: str) -> ScriptError | ScriptValueError:
    """The typed error a worker reported, checked field by field (the worker is untrusted).

    Raises:
        ProtocolError: The report is malformed.
    """
    if not isinstance(wire, dict):
        raise ProtocolError("an error report is not an object", engine=engine)
    kind = field(wire, "type", str, engine)
    message = field(wire, "message", str, engine)
    if kind == "ScriptValueError":
        return ScriptValueError(message)
    cls = _ERRORS.get(kind)
    if cls is None:
        raise ProtocolError(f"unknown error type {kind!r} from the worker", engine=engine)
    file, line, column = wire.get("file"), wire.get("line"), wire.get("column")
    traceback, limit = wire.get("traceback") or "", wire.get("limit")
    if not (
        (file is None or isinstance(file, str))
        and (line is None or type(line) is int)
        and (column is None or type(column) is int)
        and isinstance(traceback, str)
    ):
        raise ProtocolError("an error report has malformed fields", engine=engine)
    if issubclass(cls, ScriptLimitError):
        if not isinstance(limit, str):
            raise ProtocolError("a limit error names no limit", engine=engine)
        return cls(message, limit=limit, engine=engine, file=file, line=line, traceback=traceback)
    return cls(message, engine=engine, file=file, line=line, column=column, traceback=traceback)
