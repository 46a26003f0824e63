"""The errors a script run raises, and how host errors look from inside a script.

A script error carries where it happened (engine, file, line, column when the engine gives
one) and the script's own traceback, so a log line points at the script, not at llmkit.
"""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = [
    "BridgeArgumentError",
    "PermissionDenied",
    "ScriptError",
    "ScriptLimitError",
    "ScriptMemoryError",
    "ScriptPermissionError",
    "ScriptRuntimeError",
    "ScriptSyntaxError",
    "ScriptTimeout",
    "ScriptValueError",
    "UnknownEngineError",
    "host_error_message",
]


class ScriptError(LLMKitError):
    """A script failed. `engine`, `file`, `line`, `column` say where; `traceback` is the
    script's own stack (in the engine's words), empty when the engine gave none."""

    def __init__(
        self,
        message: str,
        *,
        engine: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        traceback: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.engine = engine
        self.file = file
        self.line = line
        self.column = column
        self.traceback = traceback

    def __str__(self) -> str:
        where = self.file or "<script>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"[{self.engine}] {where}: {self.message}"


class ScriptSyntaxError(ScriptError):
    """The script does not compile."""


class ScriptRuntimeError(ScriptError):
    """The script raised an error it did not catch (its own, or a host error's).

    `host_error` is the Python exception a bridge raised, when that is what went uncaught.
    """

    host_error: BaseException | None = None


class ScriptPermissionError(ScriptRuntimeError):
    """The script used a bridge method its permissions do not grant, and did not catch it."""


class ScriptLimitError(ScriptError):
    """The host stopped the script at a limit (`limit` names it: "timeout", "memory",
    "call_depth", "output", "bridge_calls"). A script cannot catch these."""

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        engine: str,
        file: str | None = None,
        line: int | None = None,
        traceback: str = "",
    ) -> None:
        super().__init__(message, engine=engine, file=file, line=line, traceback=traceback)
        self.limit = limit


class ScriptTimeout(ScriptLimitError):
    """The script ran past its wall-time limit."""


class ScriptMemoryError(ScriptLimitError):
    """The script tried to use more memory than its limit."""


class PermissionDenied(LLMKitError):
    """A bridge method needs a permission the script was not granted (raised host-side;
    the script sees it as a catchable error whose message starts with ``PermissionDenied:``)."""


class BridgeArgumentError(LLMKitError):
    """A script called a bridge method with arguments that do not fit its parameters."""


class ScriptValueError(LLMKitError):
    """A value cannot cross between a script and Python (a cycle, too deep, a key or type
    the other side cannot hold); the message says which and where."""


class UnknownEngineError(LLMKitError):
    """No script engine has this name or file extension (the message lists those there are)."""


def host_error_message(error: BaseException) -> str:
    """How a host error reads inside a script: its type name, a colon, its message."""
    return f"{type(error).__name__}: {error}"
